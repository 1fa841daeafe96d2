"""Machine-readable threat intelligence from a :class:`~mailsleuth.report.Report`.

    >>> from mailsleuth.intel import to_misp_event, to_stix_bundle
    >>> stix_json = to_stix_bundle(report, raw_message=data)   # a STIX 2.1 bundle
    >>> misp_json = to_misp_event(report, raw_message=data)    # a MISP event

The formats need the optional libraries ``stix2`` and ``pymisp`` (the ``intel`` extra). They are
imported only when a function is called, so ``import mailsleuth.intel`` works without them and
a missing library becomes an :class:`ImportError` that says what to install.

This module holds what both formats share, and needs neither library:

* **Indicators.** Only a ``phishing`` verdict yields indicators, and only for what its findings
  name. Links: the clickable ones a finding names in its evidence (``url:``, ``href:``,
  ``host:``, ``registrable:``, ``link domain:``). Links on the impersonated brand's official
  domains are never indicators; a link on another known brand's domain is one only when a
  finding names that very URL. The registrable domain is flagged as well, unless the host is an
  IP address, a known brand's, or a shared service (free hosting, URL shortener, bulk-mail click
  tracker): there only the URL is the attacker's. The sender's registrable domain is flagged
  only when a check found the domain itself built to deceive (``SENDER_LOOKALIKE_DOMAIN``,
  ``SENDER_BRAND_IN_FOREIGN_DOMAIN``) and it is no known brand's, free-mail or shared one: a
  From address alone is easily forged, so a plain mismatch flags nothing.
* **Time.** ``created`` (STIX) and the event date (MISP) default to the newest ``Received:``
  stamp (written by the recipient's own server, so it cannot be forged by the sender), else the
  ``Date:`` header of ``raw_message``, else 1970-01-01T00:00:00Z to say "unknown". The same
  mail therefore always gives the same output: importing it twice makes no second version.
* **Ids.** UUIDv5 over the content (STIX SCOs: the spec's own id-contributing properties) or
  over a key made of the mail's Message-ID, From, Subject and newest Received stamp plus the object's role.
* **Privacy.** The recipient is never exported: no To/Cc, and ``for <address>`` in Received
  lines becomes ``for <redacted>``. Everything is marked TLP:GREEN (shareable within a
  community, not published), since a phishing mail may still say who received it.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from ..brands import BrandIndex
from ..domains import is_ip
from ..lists import in_list
from ..mime import parse_message
from ..models import CLICKABLE, Finding, Link
from ..report import Report

__all__ = ["INTEL_FORMATS", "render_intel", "to_misp_event", "to_stix_bundle"]

INTEL_FORMATS = ("stix", "misp")
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:mailsleuth:intel")
UNKNOWN_TIME = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
TLP = "tlp:green"
EXTRA_HEADERS = ("X-Mailer", "User-Agent")

SENDER_DOMAIN_CHECKS = ("SENDER_LOOKALIKE_DOMAIN", "SENDER_BRAND_IN_FOREIGN_DOMAIN")
_EVIDENCE_KEYS = ("url", "href", "host", "registrable", "link domain")
_URL_KEYS = ("url", "href")
_FREE_MAIL_LISTS = ("free_email_providers", "japanese_free_email_providers", "disposable_email_providers")
_SHARED_HOST_LISTS = ("free_file_hosts", "free_subdomain_hosts", "self_service_creation_platform_domains",
                      "url_shorteners", "bulk_mailer_url_root_domains")
_FOR_RE = re.compile(r"\bfor\s+<?[^\s<>;]*@[^\s<>;]*>?", re.IGNORECASE)
_INSTALL_HINT = "mailsleuth's {fmt} output needs the 'intel' extra: pip install 'mailsleuth[intel]' ({exc})"


@dataclass(frozen=True, slots=True)
class Implicated:
    """What the findings of a phishing verdict name: a link, or the sender's own domain."""

    url: str  # the link, "" for the sender's domain
    host: str
    domain: str  # registrable domain to flag, "" when only the URL is the attacker's
    finding_ids: tuple[str, ...]
    role: Literal["link", "sender"] = "link"


@dataclass(frozen=True, slots=True)
class MailFacts:
    """What the report does not carry but the raw message says (all empty without it)."""

    date: dt.datetime | None = None  # Date: header, UTC
    content_type: str = ""
    is_multipart: bool = False
    sender: tuple[str, str] | None = None  # Sender: header as (display name, address)
    extra_headers: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a renderer needs besides the report: facts, time, the mail's key, indicators."""

    facts: MailFacts
    when: dt.datetime
    key: str
    implicated: tuple[Implicated, ...]

    def uuid(self, *parts: str) -> str:
        """A UUIDv5 for one object of this mail (``parts`` name its role)."""
        return stable_uuid(self.key, *parts)


def stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(parts)))


def utc(value: dt.datetime) -> dt.datetime:
    """``value`` in UTC; a naive datetime is taken to be UTC already."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def build_context(report: Report, raw_message: bytes | None, when: dt.datetime | None) -> Context:
    facts = mail_facts(raw_message)
    moment = utc(when) if when is not None else default_time(report, facts)
    found = [*implicated_links(report), *implicated_sender(report)]
    return Context(facts=facts, when=moment, key=mail_key(report), implicated=tuple(found))


# ---------------------------------------------------------------------------------- raw message
def mail_facts(raw_message: bytes | None) -> MailFacts:
    if not raw_message:
        return MailFacts()
    msg = parse_message(raw_message)
    content_type = " ".join((msg.get("content-type") or "").split())
    extra = {name: [" ".join(v.split()) for v in msg.get_all(name)] for name in EXTRA_HEADERS}
    return MailFacts(date=parse_date(msg.get("date")), content_type=content_type,
                     is_multipart=content_type.lower().startswith("multipart/"),
                     sender=_mailbox(msg.get("sender")), extra_headers={k: v for k, v in extra.items() if v})


def parse_date(value: str | None) -> dt.datetime | None:
    """An RFC 5322 date in UTC, or None when it cannot be read."""
    if not value:
        return None
    try:
        return utc(email.utils.parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _mailbox(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    name, address = email.utils.parseaddr(value)
    return (name, address.lower()) if "@" in address else None


def received_time(report: Report) -> dt.datetime | None:
    """The newest Received stamp (the top header) as UTC, when it was read as ISO 8601."""
    if not report.hops or not report.hops[0].date:
        return None
    try:
        stamp = dt.datetime.fromisoformat(report.hops[0].date)
    except ValueError:
        return None
    return utc(stamp) if stamp.tzinfo is not None else None


def default_time(report: Report, facts: MailFacts) -> dt.datetime:
    return received_time(report) or facts.date or UNKNOWN_TIME


def mail_key(report: Report) -> str:
    """A stable text naming this mail: Message-ID, From, Subject and the newest Received stamp
    (all from the report, so the ids are the same with or without ``raw_message``)."""
    sender = report.header_from.address if report.header_from else ""
    moment = received_time(report)
    return "\x1e".join((report.message_id, sender, report.subject_raw, moment.isoformat() if moment else ""))


def redact_received(line: str) -> str:
    """One Received line on one line, with the envelope recipient (``for <x@y>``) removed."""
    return _FOR_RE.sub("for <redacted>", " ".join(line.split()))


def subject_or_placeholder(report: Report) -> str:
    return report.subject or report.subject_raw or "(no subject)"


# ----------------------------------------------------------------------------------- indicators
def implicated_links(report: Report) -> list[Implicated]:
    """The links of a phishing verdict that its findings name, one per URL (see the module doc)."""
    if report.verdict != "phishing":
        return []
    named = _named_values(report.findings)
    named_urls = _named_values(report.findings, _URL_KEYS)
    brands = BrandIndex.load()
    official = report.brand.official_domains if report.brand and report.brand.role == "impersonated" else ()
    found: dict[str, Implicated] = {}
    for link in report.links:
        ids = _finding_ids(named, (link.url, link.host, link.registrable_domain))
        if link.source not in CLICKABLE or link.url in found or not ids or _on_domains(link, official):
            continue
        owner = brands.by_domain(link.registrable_domain) if link.registrable_domain else None
        if owner is not None and link.url not in named_urls:
            continue
        flag_domain = bool(link.registrable_domain) and owner is None and not _shared(link)
        found[link.url] = Implicated(url=link.url, host=link.host,
                                     domain=link.registrable_domain if flag_domain else "", finding_ids=ids)
    return list(found.values())


def implicated_sender(report: Report) -> list[Implicated]:
    """The sender's registrable domain, when a check found the domain built to deceive."""
    sender = report.sender
    ids = tuple(f.id for f in report.findings if f.id in SENDER_DOMAIN_CHECKS and f.score > 0)
    if report.verdict != "phishing" or not ids or sender is None or not sender.registrable_domain:
        return []
    domain = sender.registrable_domain
    if BrandIndex.load().by_domain(domain) is not None:
        return []
    if any(in_list(name, sender.domain) for name in (*_FREE_MAIL_LISTS, *_SHARED_HOST_LISTS)):
        return []
    return [Implicated(url="", host=sender.domain, domain=domain, finding_ids=ids, role="sender")]


def _named_values(findings: list[Finding], keys: tuple[str, ...] = _EVIDENCE_KEYS) -> dict[str, list[str]]:
    """Evidence value -> ids of the findings that name it under one of ``keys``."""
    named: dict[str, list[str]] = {}
    for f in findings:
        if f.score <= 0:
            continue
        for item in f.evidence:
            key, sep, value = item.partition(": ")
            if sep and key in keys and value and f.id not in named.get(value, []):
                named.setdefault(value, []).append(f.id)
    return named


def _finding_ids(named: dict[str, list[str]], values: Iterable[str]) -> tuple[str, ...]:
    ids: list[str] = []
    for value in values:
        ids.extend(i for i in named.get(value, []) if i not in ids)
    return tuple(ids)


def _on_domains(link: Link, domains: tuple[str, ...]) -> bool:
    reg = link.registrable_domain
    return bool(reg) and any(reg == d or reg.endswith("." + d) for d in domains)


def _shared(link: Link) -> bool:
    return is_ip(link.host) or any(in_list(name, link.host) for name in _SHARED_HOST_LISTS)


# ----------------------------------------------------------------------------------- public API
def to_stix_bundle(report: Report, *, raw_message: bytes | None = None, created: dt.datetime | None = None) -> str:
    """The report as the JSON text of a STIX 2.1 bundle (see :mod:`mailsleuth.intel.stix`).

    ``raw_message`` adds what only the mail says (Date, Content-Type, Sender, X-Mailer);
    ``created`` sets ``created``, ``modified`` and ``published`` of the objects made for this mail
    (default: see the module doc). When the mail was seen (``first_observed``, ``valid_from``)
    stays the mail's own time when it is known.
    """
    try:
        from .stix import stix_bundle
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT.format(fmt="STIX", exc=exc)) from exc
    return stix_bundle(report, build_context(report, raw_message, created))


def to_misp_event(report: Report, *, raw_message: bytes | None = None, date: dt.date | None = None) -> str:
    """The report as the JSON text of a MISP event (see :mod:`mailsleuth.intel.misp`).

    ``raw_message`` adds what only the mail says (Date, Sender, X-Mailer); ``date`` sets the
    event date (default: see the module doc).
    """
    try:
        from .misp import misp_event
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT.format(fmt="MISP", exc=exc)) from exc
    when = date if isinstance(date, dt.datetime) or date is None else dt.datetime.combine(date, dt.time(), dt.UTC)
    return misp_event(report, build_context(report, raw_message, when))


def render_intel(report: Report, fmt: str, raw: bytes | None = None) -> str:
    """``fmt`` ``"stix"`` or ``"misp"``: the text the CLI prints or writes (ends with a newline)."""
    if fmt == "stix":
        return to_stix_bundle(report, raw_message=raw) + "\n"
    if fmt == "misp":
        return to_misp_event(report, raw_message=raw) + "\n"
    raise ValueError(f"unknown intel format {fmt!r}; known: {', '.join(INTEL_FORMATS)}")
