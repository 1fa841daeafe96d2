"""The visible text of a mail, for showing in a report: the HTML part as a mail program would
show it (paragraphs kept, scripts, styles and hidden elements dropped, each link kept with its
real target), else the plain-text part with its bare URLs marked. Attachment names too.

Nothing here renders the mail: the result is plain strings that the renderers escape.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..mime import parse_message

MAX_CHARS = 6000
MAX_HTML = 2_000_000
_SKIP = {"script", "style", "head", "title", "noscript", "template", "iframe", "object", "embed", "svg", "math",
         "select", "option", "button", "textarea"}
_BLOCK = {"p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
          "section", "article", "header", "footer", "form", "hr", "dl", "dt", "dd", "pre", "center", "address"}
_HIDDEN_RE = re.compile(r"(?i)display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:px|pt|em)?\s*(?:;|$)")
_URL_RE = re.compile(r"""(?i)\b(?:https?://|www\.)[!#$%&*+,\-./0-9:;=?@A-Z\[\]_a-z~]+""")
_TRAILING = ".,;:!?)]}'\""
_WS_RE = re.compile(r"[ \t\f\v\u00a0\u3000]+")
# Characters that reorder or hide text (Trojan-source tricks), shown as a visible mark.
_INVISIBLE_RE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


@dataclass(frozen=True, slots=True)
class BodyLink:
    text: str  # what the reader sees ("" for a bare URL in plain text)
    url: str  # where it really goes


@dataclass(frozen=True, slots=True)
class MailBody:
    """The mail's visible text as pieces: strings and links. ``source`` says which part it is."""

    pieces: tuple[str | BodyLink, ...] = ()
    attachments: tuple[str, ...] = ()
    source: str = "none"  # "html" | "text" | "none"
    truncated: bool = False

    @classmethod
    def from_text(cls, text: str, attachments: tuple[str, ...] = ()) -> MailBody:
        pieces, truncated = _text_pieces(text)
        return cls(pieces=pieces, attachments=attachments, source="text" if text.strip() else "none",
                   truncated=truncated)


def clean(text: str) -> str:
    """Controls and invisible or reordering characters removed (tabs and newlines kept)."""
    text = _INVISIBLE_RE.sub("\ufffd", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs"))


def _text_pieces(text: str) -> tuple[tuple[str | BodyLink, ...], bool]:
    text = clean(text.replace("\r\n", "\n").replace("\r", "\n"))
    truncated = len(text) > MAX_CHARS
    text = text[:MAX_CHARS]
    pieces: list[str | BodyLink] = []
    pos = 0
    for m in _URL_RE.finditer(text):
        url = m.group(0)
        while url and url[-1] in _TRAILING and not url.endswith("/"):
            url = url[:-1]
        if m.start() > pos:
            pieces.append(text[pos : m.start()])
        pieces.append(BodyLink("", url))
        pos = m.start() + len(url)
    if pos < len(text):
        pieces.append(text[pos:])
    return tuple(pieces), truncated


def _hidden(node: LexborNode) -> bool:
    style = node.attributes.get("style") or ""
    return bool(_HIDDEN_RE.search(style)) or "hidden" in node.attributes


def _node_text(node: LexborNode) -> str:
    parts: list[str] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.is_text_node:
            parts.append(n.text_content or "")
            continue
        if (n.tag or "") in _SKIP:
            continue
        children = []
        c = n.first_child
        while c is not None:
            children.append(c)
            c = c.next
        stack.extend(reversed(children))
    return _WS_RE.sub(" ", " ".join(" ".join(parts).split())).strip()


def _html_pieces(html: str) -> tuple[tuple[str | BodyLink, ...], bool]:
    tree = LexborHTMLParser(html[:MAX_HTML])
    root = tree.body or tree.root
    out: list[str | BodyLink] = []
    size = 0
    truncated = False

    def emit(piece: str | BodyLink) -> None:
        nonlocal size, truncated
        if truncated:
            return
        n = len(piece) if isinstance(piece, str) else len(piece.text) + len(piece.url)
        if size + n > MAX_CHARS:
            truncated = True
            return
        size += n
        out.append(piece)

    # Walk the tree without recursion: (node, closing) pairs; closing marks the end of a block.
    stack: list[tuple[LexborNode, bool]] = [(root, False)] if root is not None else []
    while stack:
        node, closing = stack.pop()
        tag = node.tag or ""
        if closing:
            emit("\n")
            continue
        if node.is_text_node:
            text = _WS_RE.sub(" ", (node.text_content or "").replace("\n", " "))
            if text:
                emit(text)
            continue
        if not node.is_element_node and node is not root:
            continue
        if tag in _SKIP or (node is not root and _hidden(node)):
            continue
        if tag == "br":
            emit("\n")
            continue
        if tag in ("a", "area") and node.attributes.get("href"):
            emit(BodyLink(_node_text(node), (node.attributes.get("href") or "").strip()))
            continue
        if tag == "img":
            alt = (node.attributes.get("alt") or "").strip()
            if alt:
                emit(f"[{alt}]")
            continue
        if tag in _BLOCK:
            emit("\n")
            stack.append((node, True))
        children = []
        c = node.first_child
        while c is not None:
            children.append(c)
            c = c.next
        stack.extend((child, False) for child in reversed(children))
    return _tidy(out), truncated


def _tidy(pieces: list[str | BodyLink]) -> tuple[str | BodyLink, ...]:
    """Merge text, trim spaces around line breaks and keep at most one empty line."""
    merged: list[str | BodyLink] = []
    for p in pieces:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        else:
            merged.append(p)
    out: list[str | BodyLink] = []
    for p in merged:
        if isinstance(p, str):
            p = clean(p)
            p = re.sub(r" *\n *", "\n", p)
            p = re.sub(r"\n{3,}", "\n\n", p)
        out.append(BodyLink(clean(p.text), clean(p.url)) if isinstance(p, BodyLink) else p)
    if out and isinstance(out[0], str):
        out[0] = out[0].lstrip()
    if out and isinstance(out[-1], str):
        out[-1] = out[-1].rstrip()
    final: list[str | BodyLink] = []
    for p in out:
        if isinstance(p, str):
            final.extend(_text_pieces(p)[0])  # bare URLs written in the HTML text
        else:
            final.append(p)
    return tuple(p for p in final if not (isinstance(p, str) and not p))


def read_body(data: bytes) -> MailBody:
    """The body of a raw message as a reader would see it (HTML part first, else plain text)."""
    msg = parse_message(data)
    attachments = tuple(clean(p.filename) for p in msg.parts if p.filename)
    for html in msg.html_parts:
        pieces, truncated = _html_pieces(html)
        if any((isinstance(p, str) and p.strip()) or isinstance(p, BodyLink) for p in pieces):
            return MailBody(pieces=pieces, attachments=attachments, source="html", truncated=truncated)
    text = "\n\n".join(t for t in msg.text_parts if t.strip())
    if text:
        body = MailBody.from_text(text, attachments)
        return body
    return MailBody(attachments=attachments)
