"""Where the links are hosted (online only): each link host resolved through DNS, each
address placed with the offline geo-IP and network data. The link itself is never fetched."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..models import CLICKABLE, Link
from .enricher import Enricher
from .providers import AsnAnswer, GeoAnswer, Skipped, not_public

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
    nxdomain: bool = False  # the name does not exist (A and AAAA both NXDOMAIN)
    nameservers: tuple[str, ...] = ()  # NS of the host's registrable domain (parking services show here)

    def to_dict(self) -> dict[str, Any]:
        return {"host": self.host, "addresses": [a.to_dict() for a in self.addresses], "source": self.source,
                "skipped": list(self.skipped), "nxdomain": self.nxdomain, "nameservers": list(self.nameservers)}


def _place(enricher: Enricher, ip: str, dns: DnsProvider) -> HostAddress:
    if not_public(ip):  # a link host pointing at 127.0.0.1 or 10.0.0.1 is on no map
        return HostAddress(ip, None, None)
    geo, asn = enricher.place(ip, dns.journal, [])
    return HostAddress(ip, geo, asn)


def resolve_link_hosts(links: list[Link], dns: DnsProvider, enricher: Enricher,
                       limit: int = MAX_HOSTS) -> list[LinkHosting]:
    """A and AAAA of the first ``limit`` distinct link hosts, each address placed on the map."""
    out: list[LinkHosting] = []
    seen: set[str] = set()
    ns_of: dict[str, tuple[str, ...]] = {}
    for link in links:
        if link.host in seen or link.source not in CLICKABLE or not link.registrable_domain:
            continue
        seen.add(link.host)
        if len(seen) > limit:
            break
        answers = [dns.query(link.host, "A"), dns.query(link.host, "AAAA")]
        found = [r for a in answers if not isinstance(a, Skipped) for r in a.records]
        failed = [a.reason for a in answers if isinstance(a, Skipped)]
        nx = all(not isinstance(a, Skipped) and a.status == "nxdomain" for a in answers)
        dom = link.registrable_domain
        if dom not in ns_of:
            ns = dns.query(dom, "NS")
            ns_of[dom] = () if isinstance(ns, Skipped) else ns.records
            if isinstance(ns, Skipped):
                failed.append(ns.reason)
        out.append(LinkHosting(host=link.host, addresses=tuple(_place(enricher, ip, dns) for ip in found),
                               source=dns.name, skipped=tuple(failed), nxdomain=nx, nameservers=ns_of[dom]))
    return out
