"""Checks on what the online look-ups found about the links and domains: when a domain was
registered, whether a link host exists or is parked, where it is hosted, and what reputation
services say.

They read ``ev.online`` (an :class:`~mailsleuth.enrich.online.OnlineResults`, attached by
``analyze`` when the user asked for online look-ups) and stay silent without it, so the offline
verdict never depends on the network. A look-up that was skipped (time-out, no server for the
TLD, deadline) says nothing either way.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from importlib import resources

from ..enrich.online import OnlineResults
from ..enrich.registration import age_days
from ..enrich.reputation import ReputationAnswer
from ..evidence import Evidence
from ..geo import country_name_ja
from . import Hit, check
from .received import claimed_brand_country

YOUNG_DAYS = 90  # registered less than this many days before the mail arrived: young
VERY_YOUNG_DAYS = 30


def online_results(ev: Evidence) -> OnlineResults | None:
    res = getattr(ev, "online", None)
    return res if isinstance(res, OnlineResults) else None


def received_at(ev: Evidence) -> datetime | None:
    """When the mail arrived: the receiving server's Received date, else the Date header."""
    for hop in ev.hops[:3]:
        if hop.date:
            try:
                t = datetime.fromisoformat(hop.date)
            except ValueError:
                continue
            return t if t.tzinfo else t.replace(tzinfo=UTC)
    date = ev.message.get("date")
    if date:
        try:
            t = parsedate_to_datetime(date)
        except (TypeError, ValueError, IndexError):
            return None
        return t if t.tzinfo else t.replace(tzinfo=UTC)
    return None


@check("YOUNG_DOMAIN", "links")
def young_domain(ev: Evidence) -> Hit | None:
    """A link's (or the sender's) domain was registered shortly before the mail arrived:
    phishing domains are used within days of registration and dropped within weeks."""
    res = online_results(ev)
    if res is None or not res.registrations:
        return None
    at = received_at(ev)
    best = None
    for reg in res.registrations:
        when = at or datetime.fromisoformat(reg.obtained_at)
        days = age_days(reg.created, when)
        if days is None or days >= YOUNG_DAYS or days < -2:  # a domain "born after the mail": bad data
            continue
        if best is None or days < best[1]:
            best = (reg, max(days, 0))
    if best is None:
        return None
    reg, days = best
    sender = ev.from_addr.registrable_domain if ev.from_addr else ""
    role_ja, role_en = ("送信元", "sender") if reg.domain == sender else ("リンク先", "link")
    evidence = [f"domain: {reg.domain} ({role_en})", f"created: {reg.created}", f"age when received: {days} days",
                f"registrar: {reg.registrar or 'unknown'}", f"source: {reg.source} at {reg.obtained_at}"]
    params = {"domain": reg.domain, "days": str(days), "created": (reg.created or "")[:10],
              "registrar": reg.registrar or "不明", "registrar_en": reg.registrar or "unknown",
              "role_ja": role_ja, "role_en": role_en}
    return Hit(evidence=evidence, params=params,
               confidence=1.0 if days < VERY_YOUNG_DAYS else 0.7)


@check("LINK_HOST_NO_DNS", "links")
def link_host_no_dns(ev: Evidence) -> Hit | None:
    """A link's host name does not exist in DNS (NXDOMAIN): a site already taken down, or a
    name made up to look like a brand's."""
    res = online_results(ev)
    if res is None:
        return None
    for h in res.hosting:
        if h.nxdomain and not h.addresses:
            return Hit(evidence=[f"host: {h.host}", "A/AAAA: NXDOMAIN", f"source: {h.source}"],
                       params={"host": h.host}, confidence=0.6)
    return None


@cache
def _parking() -> tuple[tuple[str, str], ...]:
    data = json.loads(resources.files("mailsleuth.data").joinpath("parking.json").read_text(encoding="utf-8"))
    return tuple((str(p["ns_suffix"]).lower(), str(p["service"])) for p in data["services"])


def parking_service(nameservers: tuple[str, ...]) -> str | None:
    """The parking service whose name servers ``nameservers`` are, if any."""
    for ns in nameservers:
        ns = ns.lower().rstrip(".")
        for suffix, service in _parking():
            if ns == suffix or ns.endswith("." + suffix):
                return service
    return None


@check("LINK_HOST_PARKED", "links")
def link_host_parked(ev: Evidence) -> Hit | None:
    """A link's domain is delegated to a domain-parking service: nothing of the brand is there,
    and parked domains are resold and reused for phishing and malvertising."""
    res = online_results(ev)
    if res is None:
        return None
    delegated = [(h.host, h.nameservers, h.source) for h in res.hosting]
    delegated += [(r.domain, r.nameservers, r.source) for r in res.registrations]
    for host, nameservers, source in delegated:
        service = parking_service(nameservers)
        if service:
            return Hit(evidence=[f"host: {host}", f"name servers: {', '.join(nameservers)}",
                                 f"parking service: {service}", f"source: {source}"],
                       params={"host": host, "service": service})
    return None


@check("LINK_HOSTING_FAR", "links")
def link_hosting_far(ev: Evidence) -> Hit | None:
    """A domestic brand's mail links to a server that is hosted abroad (every address of it)."""
    res = online_results(ev)
    claim = claimed_brand_country(ev)
    if res is None or claim is None:
        return None
    brand, home = claim
    for h in res.hosting:
        placed = [a for a in h.addresses if a.geo is not None and a.geo.country_code]
        if not placed or any(a.geo is not None and a.geo.country_code == home for a in placed):
            continue
        a = placed[0]
        assert a.geo is not None
        where = ", ".join(x for x in (a.geo.city, a.geo.region) if x)
        org = a.asn.org if a.asn else ""
        evidence = [f"host: {h.host}", f"address: {a.ip}", f"country: {a.geo.country_code}"
                    + (f" ({where})" if where else ""), f"brand country: {home}"]
        if org:
            evidence.append(f"network: {org}")
        evidence.append(f"source: {a.geo.source} {a.geo.source_date}")
        return Hit(evidence=evidence,
                   params={"brand": brand, "host": h.host, "ip": a.ip,
                           "country": a.geo.country_name or a.geo.country_code,
                           "country_ja": country_name_ja(a.geo.country_code, a.geo.country_name),
                           "where": where or a.geo.country_code, "home": home})
    return None


@check("REPUTATION_LISTED", "links")
def reputation_listed(ev: Evidence) -> Hit | None:
    """A reputation service (VirusTotal, urlscan.io, Google Safe Browsing) flags a link."""
    res = online_results(ev)
    if res is None:
        return None
    bad = sorted((a for a in res.reputation if a.verdict in ("malicious", "suspicious")),
                 key=lambda a: -_reputation_confidence(a))
    if not bad:
        return None
    a = bad[0]
    evidence = [f"{x.service}: {x.verdict} - {x.detail} ({x.kind} {x.target})" for x in bad[:4]]
    evidence.append(f"source: {a.source} at {a.obtained_at}")
    return Hit(evidence=evidence, params={"service": a.service, "target": a.target, "detail": a.detail},
               confidence=_reputation_confidence(a))


def _reputation_confidence(a: ReputationAnswer) -> float:
    """A URL flagged by several engines (or listed by Safe Browsing) is proof; one or two engines
    of many, a "suspicious" verdict, or a verdict on the whole domain (a shared host may carry
    one bad page) only weigh half or a little less."""
    conf = 1.0 if a.verdict == "malicious" and (a.positives is None or a.positives >= 3) else 0.5
    return round(conf * (0.8 if a.kind == "domain" else 1.0), 2)
