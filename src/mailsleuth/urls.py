"""URLs from plain text and HTML: hrefs with their anchor text, form actions, image and
frame sources, and bare URLs in the visible text.

HTML is parsed with selectolax (the Lexbor engine): it is tolerant of the broken markup
phishing kits send and fast enough to parse every HTML part of every message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from .domains import normalize_host, registrable_domain
from .models import Link

MAX_LINKS = 300
MAX_HTML = 2_000_000

# Bare URLs in text stop at whitespace, quotes, angle brackets and any non-ASCII character:
# Japanese mail writes the next sentence straight after a URL without a space.
_TEXT_URL_RE = re.compile(r"""(?i)\b(?:https?://|www\.)[!#$%&*+,\-./0-9:;=?@A-Z\[\]_a-z~]+""")
_TRAILING = ".,;:!?)]}'\""
_SCHEME_RE = re.compile(r"(?i)^[a-z][a-z0-9+.\-]*:")
_WS_RE = re.compile(r"\s+")


_SENSITIVE_FIELD_RE = re.compile(
    r"(?i)pass|pwd|\bpw\b|pin\b|cvv|cvc|csc|card|cc.?num|expir|ssn|otp|secur|暗証|パスワード|カード|口座"
)


@dataclass(frozen=True, slots=True)
class Form:
    action: str  # "" for a form posting to the page itself
    fields: tuple[str, ...]  # "type:name" of each input, select and textarea
    sensitive: bool  # asks for a password, card number, PIN or similar


@dataclass(slots=True)
class HtmlContent:
    text: str  # visible text
    links: list[Link]
    forms: list[Form]
    hidden_text: str  # text inside elements styled to be invisible
    scripts: int


def _clean_url(url: str) -> str:
    url = url.strip().strip("\"'<>").replace("\\", "/")
    url = "".join(ch for ch in url if ch not in "\r\n\t")
    return url.rstrip(_TRAILING) if not url.endswith("/") else url


def make_link(url: str, text: str, source: str) -> Link | None:
    """A Link for an http(s)/ftp or scheme-less ``www.`` URL; None for mailto:, tel:, anchors."""
    url = _clean_url(url)
    if not url or url.startswith("#"):
        return None
    if url.startswith("//"):
        url = "http:" + url
    elif not _SCHEME_RE.match(url):
        if not url.lower().startswith("www."):
            return None
        url = "http://" + url
    scheme = url.split(":", 1)[0].lower()
    if scheme not in ("http", "https", "ftp"):
        return None
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        netloc = url.split("//", 1)[-1].split("/", 1)[0]
    host = normalize_host(netloc)
    if not host:
        return None
    return Link(url=url, host=host, registrable_domain=registrable_domain(host),
                text=_WS_RE.sub(" ", text).strip()[:200], source=source)


def links_in_text(text: str) -> list[Link]:
    out: list[Link] = []
    for m in _TEXT_URL_RE.finditer(text):
        link = make_link(m.group(0), "", "text")
        if link:
            out.append(link)
            if len(out) >= MAX_LINKS:
                break
    return out


_HIDDEN_STYLE_RE = re.compile(
    r"(?i)display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:px|pt|em)?\s*(?:;|$)|"
    r"opacity\s*:\s*0(?:\.0+)?\s*(?:;|$)|max-height\s*:\s*0"
)


def parse_html(html: str) -> HtmlContent:
    tree = LexborHTMLParser(html[:MAX_HTML])
    links: list[Link] = []
    forms: list[Form] = []
    scripts = len(tree.css("script"))
    for node in tree.css("a[href], area[href]"):
        link = make_link(node.attributes.get("href") or "", node.text(separator=" ") or "", "href")
        if link:
            links.append(link)
    for node in tree.css("form"):
        action = (node.attributes.get("action") or "").strip()
        fields = tuple(
            f"{(f.attributes.get('type') or f.tag or '').lower()}:"
            f"{f.attributes.get('name') or f.attributes.get('id') or ''}"
            for f in node.css("input, select, textarea")
        )
        sensitive = any(
            f.startswith("password:") or _SENSITIVE_FIELD_RE.search(f.split(":", 1)[1]) is not None
            for f in fields if not f.startswith(("hidden:", "submit:"))
        )
        forms.append(Form(action, fields, sensitive))
        if action:
            link = make_link(action, "", "form")
            if link:
                links.append(link)
    for node in tree.css("img[src], iframe[src], frame[src], embed[src]"):
        link = make_link(node.attributes.get("src") or "", node.attributes.get("alt") or "", node.tag or "img")
        if link:
            links.append(link)
    hidden: list[str] = []
    for node in tree.css("[style]"):
        if _HIDDEN_STYLE_RE.search(node.attributes.get("style") or ""):
            hidden.append(node.text(separator=" ") or "")
    tree.strip_tags(["script", "style", "head", "title", "noscript", "template"])
    root = tree.body or tree.root
    text = root.text(separator=" ") if root is not None else ""
    return HtmlContent(text=text, links=links[:MAX_LINKS], forms=forms,
                       hidden_text=" ".join(h for h in hidden if h.strip()), scripts=scripts)


def dedupe(links: list[Link]) -> list[Link]:
    """Keep the first of each (url, text) and prefer an HTML link over the same bare text URL."""
    seen: set[tuple[str, str]] = set()
    urls_with_text = {link.url for link in links if link.source != "text"}
    out: list[Link] = []
    for link in links:
        if link.source == "text" and link.url in urls_with_text:
            continue
        key = (link.url, link.text)
        if key in seen:
            continue
        seen.add(key)
        out.append(link)
    return out[:MAX_LINKS]
