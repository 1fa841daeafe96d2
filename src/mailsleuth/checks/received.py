"""Checks on the route: the origin hop the receiving servers recorded."""

from __future__ import annotations

from ..domains import is_ip, registrable_domain
from ..evidence import Evidence
from ..geo import country_name_ja
from . import Hit, check


def claimed_brand_country(ev: Evidence) -> tuple[str, str] | None:
    """(brand name, home country) of the brand the mail claims to be, when it has one country."""
    for hit in ev.brand_claims:
        if len(hit.brand.country) == 2:
            return hit.brand.name, hit.brand.country
    return None


@check("FORGED_HELO", "received")
def forged_helo(ev: Evidence) -> Hit | None:
    """The origin greeted with a name that borrows a well-known brand (``amazon.server.co.jp``)
    while its address has no reverse DNS, or one in another domain."""
    hop = ev.origin
    if hop is None or not hop.helo or is_ip(hop.helo.strip("[]")):
        return None
    helo = hop.helo.lower()
    helo_domain = registrable_domain(helo)
    brand = ev.brand_index.by_domain(helo_domain) if helo_domain else None
    tokens = [] if brand else ev.brand_index.in_host(helo)
    if brand is None and not tokens:
        return None
    name = brand.name if brand else tokens[0][0].name
    if hop.rdns and helo_domain and registrable_domain(hop.rdns) == helo_domain:
        return None  # the name is confirmed by the reverse DNS
    rdns = hop.rdns or "unknown"
    return Hit(evidence=[f"helo: {hop.helo}", f"rdns: {rdns}", f"ip: {hop.ip}"],
               params={"helo": hop.helo, "rdns": rdns, "ip": hop.ip or "", "brand": name})


@check("ORIGIN_FAR_FROM_BRAND", "received")
def origin_far_from_brand(ev: Evidence) -> Hit | None:
    """A domestic brand's mail was sent from a server in another country."""
    claim = claimed_brand_country(ev)
    if claim is None or ev.origin_country is None or ev.origin is None:
        return None
    brand, home = claim
    if ev.origin_country.code == home:
        return None
    return Hit(evidence=[f"ip: {ev.origin.ip}", f"country: {ev.origin_country.code} ({ev.origin_country.name})",
                         f"brand country: {home}", f"source: {ev.origin_country.source}"],
               params={"brand": brand, "ip": ev.origin.ip or "", "country": ev.origin_country.name,
                       "country_ja": country_name_ja(ev.origin_country.code, ev.origin_country.name),
                       "code": ev.origin_country.code, "home": home})


@check("ORIGIN_NO_RDNS", "received")
def origin_no_rdns(ev: Evidence) -> Hit | None:
    """The receiving server found no reverse DNS for the sending address."""
    hop = ev.origin
    if hop is None or hop.rdns or not hop.ip:
        return None
    return Hit(evidence=[f"ip: {hop.ip}", f"received: {' '.join(hop.raw.split())[:160]}"],
               params={"ip": hop.ip})

