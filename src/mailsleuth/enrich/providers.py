"""What enrichment providers answer, and the small interfaces they answer through.

Enrichment adds facts that the message itself does not carry: where an address is (city,
ASN) and whether a link is already known as phishing. Every answer says where it came from
(``source``), how old that data is (``source_date``), under which licence it may be shown
(``licence``), when it was obtained (``obtained_at``) and, for answers that go stale, for how
long it may be reused (``ttl`` seconds; ``None`` for offline files, which only age with their
``source_date``). A report can then be read - and re-checked - months later.

Providers are plain objects behind :class:`typing.Protocol` s so that the pipeline never
depends on one data set: the offline defaults (DB-IP City Lite, geoip2fast's ASN file, a
local SQLite feed store), a user's own MaxMind files and, later, online resolvers all fit.
A provider raises :class:`ProviderUnavailable` when it cannot answer at all (a package or a
file is missing); the :class:`~mailsleuth.enrich.enricher.Enricher` turns that, and any other
failure, into a ``skipped`` entry instead of an exception.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypeVar

MatchedOn = Literal["url", "host", "domain"]
A = TypeVar("A")


class ProviderUnavailable(Exception):
    """The provider cannot answer any question: its package or data file is missing or unreadable."""


def now_iso() -> str:
    """The current UTC time, to the second, in ISO 8601 (``obtained_at`` of answers)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def epoch_date(epoch: int | float) -> str:
    """ISO date (UTC) of a Unix time, e.g. the build epoch of an MMDB file."""
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


@dataclass(frozen=True, slots=True)
class GeoAnswer:
    """Where an IP address is, according to one geolocation data set."""

    ip: str
    country_code: str  # ISO 3166-1 alpha-2, "" when the data set has none
    country_name: str
    region: str  # first subdivision (prefecture, state, province), "" when unknown
    city: str
    lat: float | None
    lon: float | None
    source: str  # data set, e.g. "DBIP-City-Lite"
    source_date: str  # ISO date the data set was built
    licence: str
    obtained_at: str
    ttl: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class AsnAnswer:
    """Which network announces an IP address."""

    ip: str
    asn: int | None  # AS number; None when the data set only names the organisation
    org: str  # organisation that holds the AS, as the data set writes it
    network: str  # announced prefix that contains the address, CIDR
    source: str
    source_date: str
    licence: str
    obtained_at: str
    ttl: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class FeedHit:
    """A link found in a phishing feed.

    ``matched_on`` says how close the match is: ``url`` (the same page), ``host`` (the same
    server name) or ``domain`` (another host of the same registrable domain). ``value`` is
    the link's part that matched, ``entry`` the feed's URL (or name) that it matched.
    """

    feed: str  # feed name in the store: "jpcert-phishurl", "openphish", "phishtank", a list's name
    date: str  # when the feed listed the entry (latest listing), ISO 8601
    brand: str  # impersonated brand as the feed names it ("えきねっと", "Apple ID"), "" when unknown
    brand_id: str | None  # our brand id for it (brands.json), None when it maps to none
    matched_on: MatchedOn
    value: str
    entry: str
    count: int = 1  # feed entries behind this hit (a domain may carry hundreds of URLs)
    source: str = ""  # where the feed was imported from (file or URL)
    imported_at: str = ""
    ttl: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A question a provider did not answer, and why (private address, missing data, error)."""

    provider: str
    reason: str
    target: str = ""  # the address, host or URL that was asked about

    def to_dict(self) -> dict[str, str]:
        out = {"provider": self.provider, "reason": self.reason}
        if self.target:
            out["target"] = self.target
        return out


class GeoProvider(Protocol):
    """IP address -> location. Returns None when the data set has no entry for the address."""

    name: str

    def geo(self, ip: str) -> GeoAnswer | None: ...


class AsnProvider(Protocol):
    """IP address -> autonomous system. Returns None when the data set has no entry."""

    name: str

    def asn(self, ip: str) -> AsnAnswer | None: ...


class FeedProvider(Protocol):
    """A link -> the phishing-feed entries it matches, strongest match first."""

    name: str

    def lookup(self, url: str, host: str, registrable_domain: str) -> list[FeedHit]: ...


def not_public(ip: str) -> str | None:
    """Why ``ip`` has no place in a public geolocation or ASN data set, or None when it may.

    Private, loopback, link-local, shared (CGNAT), documentation, multicast and reserved
    addresses are asked about nowhere: every data set would answer nothing or nonsense.
    """
    try:
        addr = ipaddress.ip_address(ip.strip().strip("[]"))
    except ValueError:
        return f"not an IP address: {ip!r}"
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    for kind, flag in (("loopback", addr.is_loopback), ("link-local", addr.is_link_local),
                       ("multicast", addr.is_multicast), ("unspecified", addr.is_unspecified)):
        if flag:
            return f"{kind} address"
    if isinstance(addr, ipaddress.IPv4Address) and addr in _SHARED_V4:
        return "shared address space (carrier-grade NAT, RFC 6598)"
    if addr.is_private:
        return "private address (not routed on the internet)"
    if addr.is_reserved or not addr.is_global:
        return "reserved address"
    return None


_SHARED_V4 = ipaddress.ip_network("100.64.0.0/10")


def encode_optional(answer: Any) -> Any:
    """An answer (or None) as JSON-compatible data, for the journal and bundles."""
    return None if answer is None else answer.to_dict()


def decoder(cls: type[A]) -> Callable[[Any], A | None]:
    """Rebuilds ``cls`` (or None) from :func:`encode_optional`'s output; lists become tuples where
    the field was a tuple (every tuple field of the answer types holds strings)."""

    def decode(data: Any) -> A | None:
        if data is None:
            return None
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})

    return decode


def encode_list(answers: list[Any]) -> list[Any]:
    return [a.to_dict() for a in answers]


def list_decoder(cls: type[A]) -> Callable[[Any], list[A]]:
    one = decoder(cls)

    def decode(data: Any) -> list[A]:
        return [a for a in (one(d) for d in data or ()) if a is not None]

    return decode
