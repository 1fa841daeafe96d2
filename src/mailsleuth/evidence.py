"""Facts about one parsed message, with no judgement: who it claims to be from, the route it
took, where it came from, the links it carries, the text it says, and the brands it names.

Checks read an ``Evidence``; they never look at the raw message again.
"""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from .brands import BodyClaim, BrandHit, BrandIndex
from .domains import normalize_host, registrable_domain
from .forwarded import InlineForward, find_attached_forward, find_inline_forward
from .geo import Country, CountryLookup
from .listmail import ListInfo, detect_list, strip_list_tag, strip_via
from .mime import parse_addresses
from .models import Address, Hop, Link, ParsedMessage
from .normalize import count_invisible, fold, show
from .origin import find_origin
from .pdflinks import attachment_links
from .phrases import PhraseHit, find_phrases
from .received import parse_received
from .stamps import Stamps, find_stamps
from .urls import Form, HtmlContent, dedupe, links_in_text, parse_html

MAX_TEXT = 200_000  # characters of body text that content checks read
CLAIM_HEAD, CLAIM_TAIL = 20_000, 5_000  # where a body claims a brand: its greeting and its signature
if TYPE_CHECKING:
    from .enrich.auth import AuthResults
    from .enrich.enricher import Enrichment
    from .enrich.online import OnlineResults

_REPLY_RE = re.compile(r"(?i)^\s*(?:re|fwd?|aw|sv|tr)\s*[:：]")
_OPEN = "【[「『<(〔（《≪〈"
_CLOSE = "】]」』>)〕）》≫〉"
_WORDY_RE = re.compile(r"\w")  # a word before the brand (tags aside) means it does not open the subject
_BRACKETED_RE = re.compile(r"[【\[「『<(〔（《≪〈][^】\]」』>)〕）》≫〉]{0,20}[】\]」』>)〕）》≫〉]")
# "Your Amazon Prime ...", with at most one word between ("Ihr Gratis Lidl Gutschein")
_YOUR_RE = re.compile(r"(?:^|\W)(?:your|seu|sua|ihr|ihre|dein|deine|votre|uw)(?:\s+\w+)?\s*$")
_PRESSURE = ("account_threat", "credential_lure", "payment_lure", "urgency")
_MSGID_RE = re.compile(r"<?[^<>@\s]*@([^<>@\s]+?)>?\s*$")
_ENTITY_RE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,9}|#[0-9]{2,7}|#[xX][0-9A-Fa-f]{2,6});")
MIN_ENTITIES = 3  # named or numeric character references that make a plain part "HTML-escaped"


@dataclass
class Evidence:
    message: ParsedMessage
    subject_raw: str  # decoded subject as it came
    subject: str  # without spam stamps and list tag, invisible characters removed
    stamps: Stamps
    list_tag: str
    from_addr: Address | None  # the analysed sender (the original one for list mail)
    header_from: Address | None  # the From header as it came
    sender: Address | None
    reply_to: list[Address]
    return_path: Address | None
    message_id: str
    message_id_domain: str
    hops: list[Hop]
    origin_index: int | None
    origin_country: Country | None
    links: list[Link]  # links of the message itself
    list_links: list[Link]  # links that belong to the relaying mailing list
    text: str  # visible body text (plain parts, else text of HTML parts)
    html: list[HtmlContent]
    list_info: ListInfo | None
    invisible_in_subject: int
    invisible_in_name: int
    brand_index: BrandIndex
    warnings: list[str] = field(default_factory=list)
    # who forwarded the analysed message (the outer From), None when the mail is no forward
    forwarded_by: Address | None = None
    inline_forward: InlineForward | None = None  # the block an inline forward showed; None otherwise
    raw: bytes | None = None  # the analysed message's bytes when they are not the input's (an attached forward)
    enrichment: Enrichment | None = None  # set by analyze() after gather(); None: not enriched
    auth: AuthResults | None = None  # set by analyze(online=True); None: not looked up
    online: OnlineResults | None = None  # set by analyze() with online look-ups; None: offline

    @cached_property
    def is_delivery_report(self) -> bool:
        """A delivery or feedback report (``multipart/report``): it comes from the null sender and
        quotes the mail it returns, so checks on the sender and on the wording leave it alone."""
        return (self.message.get("Content-Type") or "").lower().startswith("multipart/report")

    @cached_property
    def from_mail_system(self) -> bool:
        """A delivery report, or mail from a mail system's own address (mailer-daemon@, postmaster@):
        it speaks for no sender of its own, so checks on the sender and the wording leave it alone."""
        sender = self.header_from.address.lower() if self.header_from else ""
        return self.is_delivery_report or sender.startswith(("mailer-daemon", "postmaster"))

    @cached_property
    def has_list_headers(self) -> bool:
        """List mail, or mail that names a list the reader is on (``List-Unsubscribe``, ``List-Id``), as
        newsletters do: a list the reader joined says so in its headers."""
        return self.list_info is not None or bool(self.message.get("List-Unsubscribe") or self.message.get("List-Id"))

    @property
    def origin(self) -> Hop | None:
        return self.hops[self.origin_index] if self.origin_index is not None else None

    @cached_property
    def text_folded(self) -> str:
        return fold(self.subject + "\n" + self.text[:MAX_TEXT])

    @cached_property
    def brands_in_name(self) -> list[BrandHit]:
        name = self.from_addr.display_name_raw if self.from_addr else ""
        return self.brand_index.find(name, allow_weak=True) if name else []

    @cached_property
    def brands_in_subject(self) -> list[BrandHit]:
        return self.brand_index.find(self.subject, allow_weak=True) if self.subject else []

    @cached_property
    def subject_claims(self) -> list[BrandHit]:
        """Brands the subject presents the mail as coming from - not every brand it mentions.

        A claim is a brand in brackets (``【えきねっと】``, ``[Amazon]``) or a brand next to account,
        login or payment pressure. "Apple Sauced...again" on a mailing list discusses a brand;
        it does not claim to be one (see ``subject_leads_with``)."""
        return [hit for hit, strong in self._subject_brands if strong]

    @cached_property
    def subject_leads_with(self) -> list[BrandHit]:
        """Brands that open the subject without brackets or pressure: a weaker claim."""
        return [hit for hit, strong in self._subject_brands if not strong]

    @cached_property
    def _subject_brands(self) -> list[tuple[BrandHit, bool]]:
        if not self.brands_in_subject or _REPLY_RE.match(self.subject):
            return []
        folded = fold(self.subject)
        pressure = any(k in self.subject_phrases for k in _PRESSURE) or any(
            k in self.phrases for k in ("account_threat", "credential_lure"))
        out = []
        for hit in self.brands_in_subject:
            pos = folded.find(hit.matched)
            before = folded[:pos].rstrip() if pos >= 0 else folded
            after = folded[pos + len(hit.matched):].lstrip() if pos >= 0 else ""
            bracketed = bool(before) and before[-1] in _OPEN and bool(after) and after[0] in _CLOSE
            addressed = _YOUR_RE.search(before) is not None  # "Your Amazon Prime membership ..."
            if pressure or bracketed or addressed:
                out.append((hit, True))
            elif pos >= 0 and not _WORDY_RE.search(_BRACKETED_RE.sub("", before)):
                out.append((hit, False))
        return out

    @cached_property
    def brand_claims(self) -> list[BrandHit]:
        """Brands the mail claims to come from: its display name, then its subject, then what its
        body says it is (``body_claims``)."""
        seen = {h.brand.id for h in self.brands_in_name}
        out = [*self.brands_in_name, *(h for h in self.subject_claims if h.brand.id not in seen)]
        seen.update(h.brand.id for h in out)
        return [*out, *(c.hit for c in self.body_claims if c.hit.brand.id not in seen)]

    @cached_property
    def body_claims(self) -> list[BodyClaim]:
        """Brands the body presents as its sender or the reader's provider ("Dear Amazon customer",
        "Ihr Lidl-Team"; see ``BrandIndex.claims``) - not every brand it names. Greetings stand at
        the top and signatures at the bottom: the first 20,000 and last 5,000 characters are read."""
        text = self.text[:MAX_TEXT]
        if len(text) > CLAIM_HEAD + CLAIM_TAIL:
            text = text[:CLAIM_HEAD] + "\n" + text[-CLAIM_TAIL:]
        return self.brand_index.claims(text)

    @cached_property
    def brands_in_body(self) -> list[BrandHit]:
        return self.brand_index.find(self.text[:MAX_TEXT])

    @cached_property
    def phrases(self) -> dict[str, list[PhraseHit]]:
        return find_phrases(self.text_folded)

    @cached_property
    def subject_phrases(self) -> dict[str, list[PhraseHit]]:
        return find_phrases(fold(self.subject))

    @cached_property
    def forms(self) -> list[Form]:
        return [form for h in self.html for form in h.forms]


def make_address(display: str, addr: str) -> Address:
    addr = addr.strip().strip("<>").lower()
    domain = normalize_host(addr.rsplit("@", 1)[1]) if "@" in addr else ""
    shown = show(display)
    return Address(display_name=fold(display), display_name_raw=shown, address=addr, domain=domain,
                   registrable_domain=registrable_domain(domain) if domain else "")


def _addresses(msg: ParsedMessage, name: str) -> list[Address]:
    out: list[Address] = []
    for raw in msg.raw(name):
        out.extend(make_address(d, a) for d, a in parse_addresses(raw))
    return out


def _first(msg: ParsedMessage, name: str) -> Address | None:
    found = _addresses(msg, name)
    return found[0] if found else None


def _original_sender(header_from: Address | None, reply_to: list[Address],
                     info: ListInfo | None) -> Address | None:
    """For list mail whose From was rewritten to ``"X via List" <list@...>``, the original
    sender is in Reply-To (Mailman's DMARC mitigation)."""
    if header_from is None or info is None:
        return header_from
    name, had_via = strip_via(header_from.display_name_raw)
    rewritten = had_via or header_from.address == info.post_address
    if not rewritten:
        return header_from
    for addr in reply_to:
        if addr.address and addr.address != info.post_address:
            return make_address(name or addr.display_name_raw, addr.address)
    return make_address(name, header_from.address)


def _message_id_domain(value: str) -> str:
    m = _MSGID_RE.search(value.strip())
    return normalize_host(m.group(1)) if m else ""


def unescape_plain(part: str) -> str:
    """A plain-text part written with HTML character references (``Notifica&ccedil;&atilde;o``)
    decoded, so phrases match what the reader sees; other text comes back as it was. A part counts
    as HTML-escaped from ``MIN_ENTITIES`` references in its first ``MAX_TEXT`` characters: a lone
    ``&amp;`` in a quoted URL is left alone. Only the text checks read changes; links are taken
    from the part as it came."""
    if "&" not in part or len(_ENTITY_RE.findall(part, 0, MAX_TEXT)) < MIN_ENTITIES:
        return part
    return _html.unescape(part[:MAX_TEXT]) + part[MAX_TEXT:]


MAX_FORWARD_DEPTH = 3  # forwards of forwards unwrapped before the message at hand is judged


def gather(msg: ParsedMessage, *, brand_index: BrandIndex, countries: CountryLookup | None,
           _depth: int = 0) -> Evidence:
    """The evidence of ``msg`` - or, for a forward, of the message it forwards (see ``forwarded``):
    people forward a suspicious mail to ask about it, and the forwarder is not what is asked about."""
    attached = find_attached_forward(msg) if _depth < MAX_FORWARD_DEPTH else None
    if attached is not None:
        inner = gather(attached[0], brand_index=brand_index, countries=countries, _depth=_depth + 1)
        inner.raw = inner.raw or attached[1]
        inner.forwarded_by = inner.forwarded_by or _first(msg, "From")
        inner.warnings = list(msg.warnings)
        return inner
    subject_raw = msg.get("Subject") or ""
    info = detect_list(msg.get)
    # A list tag and a filter's stamp come in either order: "[List] [spam] ..." or the reverse.
    subject, tag = strip_list_tag(subject_raw, info) if info else (subject_raw, "")
    stamps = find_stamps(subject, msg.get)
    subject = stamps.subject
    if info and not tag:
        subject, tag = strip_list_tag(subject, info)
    header_from = _first(msg, "From")
    reply_to = _addresses(msg, "Reply-To")
    from_addr = _original_sender(header_from, reply_to, info)
    hops = [parse_received(v) for v in msg.get_all("Received")]
    origin_index = find_origin(hops, info)
    origin_country = None
    if origin_index is not None and countries is not None and hops[origin_index].ip:
        origin_country = countries.country(hops[origin_index].ip or "")

    html = [parse_html(h) for h in msg.html_parts]
    plain = msg.text_parts
    # A blank plain part beside the real HTML body (some bulk mailers send " ") says nothing: read the HTML.
    said = any(p.strip() for p in plain)
    text = "\n".join(unescape_plain(p) for p in plain) if said else "\n".join(h.text for h in html)
    links: list[Link] = []
    for part in plain:
        links.extend(links_in_text(part))
    for h in html:
        links.extend(h.links)
        links.extend(links_in_text(h.text))
    links.extend(attachment_links(msg))
    links = dedupe(links)
    list_links: list[Link] = []
    if info and info.hosts and info.relays:
        # The list's own footer links are on the hosts its headers name. Headers cost a sender nothing, so
        # only those exact hosts are set apart, and only for a list that relays posts: a newsletter's links,
        # and a lure's on another host of the same domain, stay the mail's own.
        list_links = [link for link in links if link.host in info.hosts]
        links = [link for link in links if link.host not in info.hosts]
    message_id = (msg.get("Message-ID") or "").strip()
    fwd = find_inline_forward(text, subject_raw) if _depth < MAX_FORWARD_DEPTH else None
    if fwd is not None:
        # The outer headers tell of the forwarder: none of them may judge the forwarded sender.
        name_raw = fwd.from_name
        return Evidence(
            message=msg, subject_raw=fwd.subject, subject=show(fwd.subject), stamps=stamps, list_tag=tag,
            from_addr=make_address(fwd.from_name, fwd.from_address), header_from=header_from, sender=None,
            reply_to=[make_address(d, a) for d, a in fwd.reply_to], return_path=None, message_id="",
            message_id_domain="", hops=hops, origin_index=None, origin_country=None, links=links,
            list_links=list_links, text=fwd.text, html=html, list_info=info,
            invisible_in_subject=count_invisible(fwd.subject), invisible_in_name=count_invisible(name_raw),
            brand_index=brand_index, warnings=list(msg.warnings), forwarded_by=header_from, inline_forward=fwd,
        )
    return Evidence(
        message=msg, subject_raw=subject_raw, subject=show(subject), stamps=stamps, list_tag=tag,
        from_addr=from_addr, header_from=header_from, sender=_first(msg, "Sender"), reply_to=reply_to,
        return_path=_first(msg, "Return-Path"), message_id=message_id,
        message_id_domain=_message_id_domain(message_id), hops=hops, origin_index=origin_index,
        origin_country=origin_country, links=links, list_links=list_links, text=text, html=html,
        list_info=info, invisible_in_subject=count_invisible(subject_raw),
        invisible_in_name=sum(count_invisible(d) for raw in msg.raw("From") for d, _ in parse_addresses(raw)),
        brand_index=brand_index, warnings=list(msg.warnings),
    )
