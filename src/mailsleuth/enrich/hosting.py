"""Where the links are hosted (online only): each link host resolved through DNS, each
address placed with the offline geo-IP and network data. The link itself is never fetched."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..models import Link
from .enricher import Enricher
from .providers import AsnAnswer, GeoAnswer

if TYPE_CHECKING:  # dnspython is the "online" extra: never imported for offline analysis
    from .dnsprovider import DnsProvider

MAX_HOSTS = 10  # distinct link hosts resolved per message


@dataclass(frozen=True, slots=True)
class HostAddress:
    ip: str
    geo: GeoAnswer | None
    asn: AsnAnswer | None

    def to_dict(self) -> dict[str, Any]:
        return {"ip": self.ip, "geo": self.geo.to_dict() if self.geo else None,
                "asn": self.asn.to_dict() if self.asn else None}


@dataclass(frozen=True, slots=True)
class LinkHosting:
    host: str
    addresses: tuple[HostAddress, ...]
    source: str  # the DNS server asked
    skipped: tuple[str, ...] = field(default_factory=tuple)  # "skipped, because ..." per failed look-up

    def to_dict(self) -> dict[str, Any]:
        return {"host": self.host, "addresses": [a.to_dict() for a in self.addresses], "source": self.source,
                "skipped": list(self.skipped)}


def _place(enricher: Enricher, ip: str) -> HostAddress:
    geo = enricher.geo.geo(ip) if enricher.geo is not None else None
    asn = enricher.asn.asn(ip) if enricher.asn is not None else None
    return HostAddress(ip, geo, asn)


def resolve_link_hosts(links: list[Link], dns: DnsProvider, enricher: Enricher,
                       limit: int = MAX_HOSTS) -> list[LinkHosting]:
    """A and AAAA of the first ``limit`` distinct link hosts, each address placed on the map."""
    out: list[LinkHosting] = []
    seen: set[str] = set()
    for link in links:
        if link.host in seen or link.source not in ("href", "text", "form") or not link.registrable_domain:
            continue
        seen.add(link.host)
        if len(seen) > limit:
            break
        found, failed = dns.addresses(link.host)
        out.append(LinkHosting(host=link.host, addresses=tuple(_place(enricher, ip) for ip in found),
                               source=dns.name, skipped=tuple(s.reason for s in failed)))
    return out
