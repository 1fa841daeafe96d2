"""Who registered a domain, and who holds an IP address (online, opt-in).

A link to a domain registered a few days before the mail was sent is one of the strongest
signs of phishing that a message's own bytes cannot show; the registrar and the network
holder tell a reader where to report abuse. These answers come from the registries:

* :mod:`.rdap` - RDAP (RFC 9083 JSON over HTTP), the registries' current service, for
  domains of TLDs that run one and for every IP address;
* :mod:`.whois43` - WHOIS on TCP port 43 (RFC 3912), for TLDs without RDAP (``.cn``).

:class:`FallbackRegistration` is what the analyzer asks: RDAP first, WHOIS when RDAP has no
server for the TLD. Each answer is a frozen dataclass that records its ``source``,
``obtained_at`` and ``ttl`` and round-trips through :meth:`to_dict` / :meth:`from_dict`, so
that it can be cached and replayed.

Dates are ISO 8601 strings that keep what the server gave: its offset when it gave one
(``2022-03-20T08:12:33+00:00``), none when it gave none (CNNIC's ``2022-03-21T10:37:19``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime
from typing import Any, Protocol

from .providers import ProviderUnavailable

DEFAULT_TTL = 86400  # registration data changes rarely; a day old answer is still good


def _tupled(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` restricted to the fields of ``cls``, JSON lists turned back into tuples."""
    names = {f.name for f in fields(cls)}
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}


@dataclass(frozen=True, slots=True)
class DomainRegistration:
    """A domain's registration as one registry (and, for thin registries, its registrar) gave it."""

    domain: str
    registrar: str  # "" when the registry names none
    created: str | None  # ISO 8601; what a "young domain" check reads
    updated: str | None
    expires: str | None
    registrant: str  # name or organisation; "" when redacted ("REDACTED FOR PRIVACY") or absent
    registrant_country: str  # ISO 3166-1 alpha-2 where the server gives one, else as written, or ""
    nameservers: tuple[str, ...]  # lower case, no final dot
    status: tuple[str, ...]  # as the server writes them ("client transfer prohibited", "ok")
    source: str  # "rdap:https://rdap.example/domain/x.com" or "whois:whois.cnnic.cn:43"
    obtained_at: str
    ttl: int | None = DEFAULT_TTL

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["nameservers"] = list(self.nameservers)
        out["status"] = list(self.status)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DomainRegistration:
        return cls(**_tupled(cls, data))


@dataclass(frozen=True, slots=True)
class IpRegistration:
    """The network an IP address belongs to, as the regional registry (RIR) gave it."""

    ip: str
    network: str  # CIDR ("104.129.0.0/18") or "start - end" when the range is no single prefix
    name: str  # network name ("QUADRANET-ENTERPRISES")
    handle: str  # registry handle ("NET-104-129-0-0-1")
    country: str  # ISO 3166-1 alpha-2 where it can be told, else as written, or ""
    org: str  # the holder (entity with role "registrant")
    source: str
    obtained_at: str
    ttl: int | None = DEFAULT_TTL

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IpRegistration:
        return cls(**_tupled(cls, data))


class RegistrationProvider(Protocol):
    """Domain -> registration, IP address -> network holder.

    Ask about the registrable domain (``revapec.cn``, not ``www.eki-net-member.revapec.cn``):
    registries hold registrations, and answer 404 / "no match" for names below them.

    ``None`` means the registry answered that there is no such domain (or network). Raising
    :class:`~mailsleuth.enrich.providers.ProviderUnavailable` means this provider cannot ask
    anyone about it (no server for the TLD, package missing); any other exception is a failed
    look-up (timeout, refused, an answer that is no RDAP)."""

    name: str

    def domain(self, domain: str) -> DomainRegistration | None: ...

    def ip(self, ip: str) -> IpRegistration | None: ...


class FallbackRegistration:
    """RDAP first; WHOIS for domains whose TLD has no RDAP server (``.cn``). IPs only via RDAP:
    every RIR runs RDAP, and RIR WHOIS formats differ more than they are worth parsing."""

    def __init__(self, rdap: RegistrationProvider, whois: RegistrationProvider) -> None:
        self.rdap = rdap
        self.whois = whois
        self.name = f"{rdap.name}+{whois.name}"

    def domain(self, domain: str) -> DomainRegistration | None:
        try:
            return self.rdap.domain(domain)
        except ProviderUnavailable:
            return self.whois.domain(domain)

    def ip(self, ip: str) -> IpRegistration | None:
        return self.rdap.ip(ip)


def iso_datetime(value: str | datetime | None) -> str | None:
    """A server's date as ISO 8601, keeping its offset (or its lack of one); None when unreadable.

    Accepts RFC 3339 (``2022-03-20T08:12:33Z``, fractions, offsets) and the plain
    ``YYYY-MM-DD HH:MM:SS`` / ``YYYY/MM/DD`` forms of WHOIS servers."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    text = value.strip()
    if not text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text.replace("/", "-")).isoformat()
    except ValueError:
        return None


def _parse_iso(value: str) -> datetime | None:
    try:
        if len(value) == 10:
            d = date.fromisoformat(value)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def age_days(created: str | None, at: datetime) -> int | None:
    """Whole days from ``created`` (ISO 8601) to ``at``; None when ``created`` is missing or
    unreadable. A time without an offset is read as UTC (the error is hours, never a day's
    rounding that matters for "registered N days before the mail"). Negative when ``at`` is
    before the registration (a mail dated before its link's domain existed)."""
    if not created:
        return None
    start = _parse_iso(created)
    if start is None:
        return None
    end = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return (end - start).days
