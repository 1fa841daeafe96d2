"""The article as Markdown (CommonMark / GitHub Flavored Markdown).

Values from the mail and indicators are code spans (never links, never HTML); the body is a
fenced code block; every other character that Markdown could read as markup is escaped.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from .model import (
    Article,
    Block,
    BodyText,
    Bullets,
    Fields,
    FindingItem,
    Header,
    Line,
    LinkList,
    MapFigure,
    Para,
    Section,
)

_ESCAPE_RE = re.compile(r"([\\`*_\[\]<>#!|~&{}])")
_BACKTICKS_RE = re.compile(r"`+")
_CODE = {"v", "ioc", "ok", "link", "mark"}
_BANNER = {"phishing": "🚨", "spam": "⚠️", "suspicious": "⚠️", "clean": "✅"}


def escape(text: str) -> str:
    """Plain text for Markdown: markup characters backslash-escaped, line breaks folded."""
    return _ESCAPE_RE.sub(r"\\\1", " ".join(text.split("\n")))


def _start_safe(text: str) -> str:
    """A block that starts like a list item, heading or quote must not become one."""
    m = re.match(r"\s*\d{1,9}(?=[.)])", text)
    if m:
        return text[: m.end()] + "\\" + text[m.end() :]
    stripped = text.lstrip()
    if stripped[:1] in ("-", "+", "=", ">"):
        cut = len(text) - len(stripped)
        return text[:cut] + "\\" + text[cut:]
    return text


def code(text: str) -> str:
    """A code span holding ``text`` literally (no links, no HTML, no emphasis)."""
    text = " ".join(text.split("\n"))
    if not text:
        return ""
    longest = max((len(m.group(0)) for m in _BACKTICKS_RE.finditer(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def line(segs: Line) -> str:
    out: list[str] = []
    i = 0
    while i < len(segs):
        kind, text = segs[i]
        if kind in _CODE:
            # Neighbouring values (a subject cut around its marks) make one code span.
            j = i
            while j < len(segs) and segs[j][0] in _CODE:
                j += 1
            joined = "".join(t for _, t in segs[i:j])
            stripped = joined.strip()
            lead = " " if joined[:1].isspace() else ""
            trail = " " if joined[-1:].isspace() else ""
            out.append(f"{lead}{code(stripped)}{trail}" if stripped else joined)
            i = j
            continue
        if kind == "b" and text.strip():
            lead = " " if text[:1].isspace() else ""
            trail = " " if text[-1:].isspace() else ""
            out.append(f"{lead}**{escape(text.strip())}**{trail}")
        else:
            out.append(escape(text))
        i += 1
    return _start_safe("".join(out).strip())


def _plain(segs: Line) -> str:
    return "".join(text for _, text in segs)


def _fence(text: str) -> str:
    longest = max((len(m.group(0)) for m in _BACKTICKS_RE.finditer(text)), default=0)
    return "`" * max(3, longest + 1)


def _block(block: Block) -> str:
    if isinstance(block, Para):
        return line(block.segs)
    if isinstance(block, Fields):
        return "\n".join(f"- **{escape(label)}**: {line(value)}" for label, value in block.rows)
    if isinstance(block, Bullets):
        if block.ordered:
            return "\n".join(f"{i}. {line(item)}" for i, item in enumerate(block.items, 1))
        return "\n".join(f"- {line(item)}" for item in block.items)
    if isinstance(block, LinkList):
        parts: list[str] = []
        for i, item in enumerate(block.items, 1):
            marker = f"{i}. "
            parts.append(f"{marker}{line(item.head)}")
            parts.extend(f"{' ' * len(marker)}- {line(d)}" for d in item.details)
        return "\n".join(parts)
    if isinstance(block, BodyText):
        text = "\n".join(_plain(segs).rstrip() for segs in block.lines)
        fence = _fence(text)
        return f"{fence}text\n{text}\n{fence}"
    if isinstance(block, MapFigure):
        parts = []
        if block.image:
            parts.append(f"![{escape(block.alt)}]({quote(block.image)})")
        parts.extend(line(c) for c in block.caption)
        return "\n\n".join(parts)
    if isinstance(block, Header):
        what, here = block.labels
        return "\n\n".join([f"### {escape(block.name)}", line(block.value),
                            f"- **{escape(what)}**: {line(block.what)}\n- **{escape(here)}**: {line(block.here)}"])
    if isinstance(block, FindingItem):
        parts = [f"### {escape(block.points)} {escape(block.title)}", line(block.explanation)]
        if block.evidence:
            parts.append("\n".join(f"- {line(e)}" for e in block.evidence))
        return "\n\n".join(parts)
    raise TypeError(f"unknown block {type(block).__name__}")


def _section(section: Section) -> str:
    return "\n\n".join([f"## {escape(section.title)}", *(_block(b) for b in section.blocks)])


def render(article: Article) -> str:
    ja = article.lang == "ja"
    score = f"（{escape(article.score)}）" if ja else f" ({escape(article.score)})"
    parts = [f"# {escape(article.title)}", line(article.lead),
             f"> {_BANNER.get(article.verdict, '')} **{escape(article.verdict_label)}**{score}\n>\n"
             f"> {line(article.summary)}"]
    parts.extend(_section(section) for section in article.sections)
    parts.append("---")
    parts.extend(line(f) for f in article.footer)
    return "\n\n".join(p for p in parts if p).rstrip() + "\n"
