"""Checks on tricks that carry a mail past filters and past the reader's eye: links sent through
someone else's trusted redirector, the real content pushed far out of view, a From header
assembled by a broken mass-mailing template, and combining marks sprinkled over the letters of a
subject or sender name.

None of them says what the mail sells or asks for; each says the sender went out of its way to
hide something that honest mail has no reason to hide.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

from ..domains import registrable_domain
from ..evidence import Evidence
from ..mime import parse_addresses
from ..models import Link
from ..normalize import INVISIBLE_RE, LATIN_LETTERS, MARKS
from . import Hit, check
from .links import clickable

# Only the start of the URL is read: scheme, host, path and the first query parameters.
_URL_HEAD = 2000
_PATH_RE = re.compile(r"(?i)^[a-z][a-z0-9+.-]{0,20}://[^/?#\s]{1,255}(/[^?#\s]{0,500})?(?:\?([^#\s]{0,1500}))?")
_QUERY_TARGET_RE = re.compile(r"(?i)(?:^|&)(?:q|url)=([^&]{1,500})")
_AMP_RE = re.compile(r"(?i)^/amp/(?:s/)?([a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,8})(?:/|$)")
_HOST_RE = re.compile(r"(?i)^https?://([^/?#:\s]{1,255})")


def _google_target(path: str, query: str) -> str | None:
    """The host a Google redirect (``/url?q=``) or AMP viewer (``/amp/s/host/...``) sends to."""
    if path == "/url":
        m = _QUERY_TARGET_RE.search(query)
        if m is None:
            return None
        host = _HOST_RE.match(unquote(m.group(1)))  # "h%74%74%70%3A..." spells http: too
        return host.group(1).lower() if host else None
    m = _AMP_RE.match(path)
    return m.group(1).lower() if m else None


def redirect_target(link: Link) -> tuple[str, str] | None:
    """(redirector, where it sends) for a link through a well-known open redirector, else None.

    Google's ``/url?q=`` and ``/amp/`` viewer, Bing's ``/ck/a`` click tracker and LinkedIn's
    ``/slink`` send anyone to anywhere: the reader and the filter see google.com or bing.com,
    the browser lands elsewhere. Where the target can be read it is given; Bing and LinkedIn
    encode theirs ("hidden")."""
    reg = link.registrable_domain
    if not reg:
        return None
    m = _PATH_RE.match(link.url[:_URL_HEAD])
    if m is None:
        return None
    path, query = (m.group(1) or "").lower(), m.group(2) or ""
    if reg.split(".")[0] == "google":
        target = _google_target(path, query)
        if target and registrable_domain(target) != reg:
            return reg, target
        return None
    if reg == "bing.com" and path.startswith("/ck/a"):
        return reg, "hidden"
    if reg == "linkedin.com" and path.startswith("/slink"):
        return reg, "hidden"
    return None


def _google_group(ev: Evidence) -> bool:
    """Mail from a Google Group, whose archive rewrites the links it relays to google.com/url."""
    info = ev.list_info
    return info is not None and (info.list_id.endswith("googlegroups.com") or "googlegroups.com" in info.domains)


@check("LINK_OPEN_REDIRECT", "links")
def link_open_redirect(ev: Evidence) -> Hit | None:
    """A link goes through a big site's open redirector (google.com/url?q=, google.co.uk/amp/,
    bing.com/ck/a, linkedin.com/slink) to somewhere else: the trusted name is a mask for the
    real destination. Google Groups rewrites list links this way, so Google's redirector is not
    counted in a Google Group's mail."""
    sender = ev.from_addr.registrable_domain if ev.from_addr else ""
    for link in clickable(ev):
        found = redirect_target(link)
        if found is None:
            continue
        via, target = found
        if via == sender or (via.startswith("google.") and _google_group(ev)):
            continue
        return Hit(evidence=[f"url: {link.url[:200]}", f"via: {via}", f"to: {target}"],
                   params={"via": via, "target": target})
    return None


# A block pushed down by tens of thousands of pixels (or by 1000+ screen heights): the mail shows
# one thing on top and keeps a borrowed newsletter, for filters to read, where nobody scrolls.
_PUSH_RE = re.compile(
    r"(?i)(?<![\w-])(margin-top|padding-top|min-height|height|top)\s*:\s*(\d{1,9})(?:\.\d{1,4})?\s*(px|vh)")
_MAX_HTML = 200_000
_DIGIT_RUN_RE = re.compile(r"\d{4,}")
_UNIT_RE = re.compile(r"(?:\.\d{1,8})?[ \t]{0,8}(px|vh)", re.I)
MIN_PUSH_PX = 10_000
MIN_PUSH_VH = 1_000


def _big_length(html: str, end: int) -> bool:
    """Whether a run of 4+ digits before ``px``/``vh`` says 10,000 px or 1,000 vh: a cheap first
    look (runs of digits are found by the regex engine; each is checked once, so hostile runs
    cost linear time), about three times faster than one pattern with a look-behind."""
    for m in _DIGIT_RUN_RE.finditer(html, 0, end):
        start = m.start()
        if start and html[start - 1] in "0123456789.":
            continue
        unit = _UNIT_RE.match(html, m.end(), end)
        if unit and (unit.group(1).lower() == "vh" or m.end() - start >= 5):
            return True
    return False


def pushed_offscreen(html: str) -> str | None:
    """The first style that moves content ``MIN_PUSH_PX`` pixels or ``MIN_PUSH_VH`` screen heights
    down, as written; None when there is none."""
    end = min(len(html), _MAX_HTML)
    if not _big_length(html, end):  # no length of 10,000 px or 1,000 vh at all: the common case
        return None
    for m in _PUSH_RE.finditer(html, 0, end):
        value, unit = int(m.group(2)), m.group(3).lower()
        if (unit == "px" and value >= MIN_PUSH_PX) or (unit == "vh" and value >= MIN_PUSH_VH):
            return m.group(0)
    return None


# An empty paragraph or cell a screen or more tall (``<p style="height: 1201px;"></p>``) between an
# ad on top and a copied newsletter below: the reader sees the ad, a filter reads the newsletter.
# Editors space with margins and padding of a few dozen pixels; no reference ham has an empty
# block of even 400 px (mailsleuth eval).
_SPACER_HEIGHT_RE = re.compile(r"(?i)(?<![\w-])height\s*:\s*(\d{3,5})\s*px")
_SPACER_OPEN_RE = re.compile(r"(?i)<(?:p|div|td|span)\b[^<>]*")
_SPACER_EMPTY_RE = re.compile(r"(?i)[^<>]{0,300}>(?:\s|&nbsp;|<br\s*/?>){0,20}</(?:p|div|td|span)\s*>")
MIN_SPACER_PX = 800
_TAG_REACH = 400  # characters back to the opening of the tag that carries the height


def empty_spacer(html: str) -> str | None:
    """The first empty ``p``, ``div``, ``td`` or ``span`` styled ``MIN_SPACER_PX`` pixels tall or
    more, as its style says; None when there is none."""
    end = min(len(html), _MAX_HTML)
    for m in _SPACER_HEIGHT_RE.finditer(html, 0, end):
        if int(m.group(1)) < MIN_SPACER_PX:
            continue
        lt = html.rfind("<", max(0, m.start() - _TAG_REACH), m.start())
        if lt < 0 or not _SPACER_OPEN_RE.fullmatch(html, lt, m.start()):
            continue
        if _SPACER_EMPTY_RE.match(html, m.end(), min(end, m.end() + 600)):
            return f"empty block, {m.group(0)}"
    return None


@check("CONTENT_PUSHED_OFFSCREEN", "structure")
def content_pushed_offscreen(ev: Evidence) -> Hit | None:
    """The HTML pushes a block thousands of screens down (``margin-top: 470500px``,
    ``height: 2000vh``), or puts an empty block a screen tall or more between what the reader
    sees on top and what follows (``<p style="height: 1201px"></p>``): what the reader sees on
    top is not what the mail carries below."""
    for html in ev.message.html_parts:
        found = pushed_offscreen(html) or empty_spacer(html)
        if found:
            return Hit(evidence=[f"style: {found}"], params={"style": found})
    return None


def _unquoted_comma_before_angle(raw: str) -> bool:
    """A comma outside quotes, comments and angle brackets before the first ``<``: an
    unquoted display name like ``Russian Girls, jehd <x@y>``, which RFC 5322 reads as a list."""
    quoted = False
    depth = 0
    for ch in raw[:1000]:
        if ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif depth:
            continue
        elif ch == "<":
            return False
        elif ch == ",":
            return True
    return False


@check("FROM_HEADER_MANGLED", "sender")
def from_header_mangled(ev: Evidence) -> Hit | None:
    """The From header holds several mailboxes, or a display name broken by a bare comma
    (``EDEKA-Gutschein, <service@x.de.>, EDEKA-Gutschein, <service@x.de>``): a mass-mailing
    template filled in wrongly. Mail programs quote such names; people write one sender."""
    raws = ev.message.raw("From")
    if not raws or ev.inline_forward is not None:
        return None  # an inline forward's From header is the forwarder's
    raw = raws[0]
    mailboxes = [a for _, a in parse_addresses(raw) if a]
    if len(mailboxes) > 1 and not ev.message.get("Sender"):
        return Hit(evidence=[f"from: {raw[:160]}", f"mailboxes: {len(mailboxes)}"],
                   params={"from": raw[:80]})
    if len(mailboxes) == 1 and _unquoted_comma_before_angle(raw):
        return Hit(evidence=[f"from: {raw[:160]}"], params={"from": raw[:80]}, confidence=0.75)
    return None


# Combining marks written over Latin letters ("Aܿmܿaܿzܿoܿn", "M̶icrosoft", "Co̷rreio̷s"). After NFKC an
# accent that a language uses sits inside its letter (é), so a mark still standing alone on a Latin
# letter was put there on purpose. Marks of the classic accent range (U+0300-U+0333) count from two
# on; overlays (U+0334-U+0338, strike-through) and marks of other scripts (Syriac, Hebrew ...) from one.
_LETTER_MARKS_RE = re.compile(f"(?<=[{LATIN_LETTERS}])[{MARKS}]+")
_ACCENT_RE = re.compile("[\u0300-\u0333]")
_MARKED_WORD_RE = re.compile(f"[{LATIN_LETTERS}{MARKS}]{{1,40}}")
_MARK_SCAN = 300  # characters of a subject or display name read


def letter_marks(text: str) -> tuple[int, list[str]]:
    """How many combining marks ``text`` (a subject or display name) puts on Latin letters, not
    counting the accents NFKC joins to their letter, and the first words that carry them."""
    head = unicodedata.normalize("NFKC", INVISIBLE_RE.sub("", text[:_MARK_SCAN]))
    runs = _LETTER_MARKS_RE.findall(head)
    if not runs:
        return 0, []
    count = sum(map(len, runs))
    foreign = any(len(_ACCENT_RE.sub("", run)) for run in runs)
    if count < 2 and not foreign:
        return 0, []
    words = [w for w in _MARKED_WORD_RE.findall(head) if _LETTER_MARKS_RE.search(w)]
    return count, words[:5]


@check("LATIN_LETTERS_MARKED", "sender")
def latin_letters_marked(ev: Evidence) -> Hit | None:
    """Combining marks are sprinkled over the Latin letters of the subject or display name
    (``aܿlܿerܿt Aܿmܿaܿzܿoܿn`` with the Syriac U+073F, ``M̶icrosoft`` with a strike-through): the
    reader reads the word through the marks, a filter matching words sees none. The same trick
    as invisible characters, and as telling; accents a language needs are letters of their own."""
    if ev.is_delivery_report:
        return None
    name = ev.from_addr.display_name_raw if ev.from_addr else ""
    total = 0
    shown: list[str] = []
    for value in (ev.subject_raw, name):
        count, words = letter_marks(value)
        total += count
        shown += words
    if not total:
        return None
    return Hit(evidence=[f"marks: {total}", *(f"word: {w}" for w in shown[:4])],
               params={"count": str(total), "words": ", ".join(shown[:3])})
