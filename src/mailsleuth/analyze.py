"""The pipeline: raw bytes -> parsed message -> evidence -> hits -> findings -> report."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .advice import advice_for
from .brands import BrandIndex
from .checks import Hit, all_checks
from .enrich import Enricher, default_enricher
from .enrich.auth import Authenticator
from .enrich.journal import Journal
from .evidence import Evidence, gather
from .geo import CountryLookup, default_country_lookup
from .mime import parse_message
from .models import Finding
from .report import BrandRef, Report
from .scoring import Scores, default_scores, evaluate, explain, load_scores, verdict_for

if TYPE_CHECKING:
    from .enrich.online import OnlineLookups

_ID_RE = re.compile(r"[A-Z][A-Z0-9_]+")
COMPOSITE_MIN_CONFIDENCE = 0.5


def run_checks(ev: Evidence, scores: Scores) -> list[Finding]:
    findings: list[Finding] = []
    hits: dict[str, Hit] = {}
    for check_id, chk in all_checks().items():
        try:
            hit = chk.fn(ev)
        except Exception as exc:  # one faulty check must not cost the reader the whole report
            ev.warnings.append(f"check {check_id} failed ({type(exc).__name__}: {exc}); please report it")
            continue
        if hit is None:
            continue
        hits[check_id] = hit
        rule = scores.rules.get(check_id)
        weight = rule.weight if rule else 0.0
        findings.append(Finding(id=check_id, group=chk.group, score=round(weight * hit.confidence, 2),
                                explanation=explain(scores, check_id, hit.params),
                                evidence=hit.evidence, confidence=hit.confidence))
    # A composite needs its parts to be sure of themselves: a weak brand name ("Apple" inside
    # "Lockergnome Apple Core") may score a little, but does not complete a pattern.
    fired = {cid for cid, hit in hits.items() if hit.confidence >= COMPOSITE_MIN_CONFIDENCE}
    for comp in scores.composites:
        if evaluate(comp.expr, fired):
            members = [cid for cid in _ID_RE.findall(comp.expr) if cid in fired]
            findings.append(Finding(id=comp.id, group=comp.group, score=comp.weight,
                                    explanation=explain(scores, comp.id, {}), evidence=members))
            fired.add(comp.id)
    findings.sort(key=lambda f: -f.score)
    return findings


def pick_brand(ev: Evidence) -> BrandRef | None:
    """The brand the mail claims to be (impersonated unless it comes from its domains)."""
    candidates = [h.brand for h in (*ev.brand_claims, *ev.subject_leads_with)]
    for link in ev.links:
        candidates.extend(b for b, _ in ev.brand_index.in_host(link.host))
    sender_dom = ev.from_addr.registrable_domain if ev.from_addr else ""
    owner = ev.brand_index.by_domain(sender_dom) if sender_dom else None
    if not candidates and owner is None:
        candidates.extend(h.brand for h in ev.brands_in_body[:1])
    if owner is not None and (not candidates or candidates[0].id == owner.id):
        b, role = owner, "sender"
    elif candidates:
        b, role = candidates[0], "impersonated"
    else:
        return None
    return BrandRef(id=b.id, name=b.name, name_en=b.name_en, country=b.country,
                    official_domains=b.official_domains, role=role)


def summarise(verdict: str, findings: list[Finding]) -> dict[str, str]:
    heads = {"phishing": ("フィッシング詐欺メールです", "This is phishing"),
             "spam": ("迷惑メールです", "This is spam"),
             "suspicious": ("怪しい点があります", "This mail is suspicious"),
             "clean": ("危険な兆候は見つかりませんでした", "No sign of danger found")}
    ja, en = heads[verdict]
    if findings and verdict != "clean":
        return {"ja": f"{ja}: {findings[0].explanation['ja']}", "en": f"{en}: {findings[0].explanation['en']}"}
    return {"ja": ja + "。", "en": en + "."}


def analyze(data: bytes, *, brands: BrandIndex | None = None, countries: CountryLookup | None = None,
            scores: Scores | None = None, offline_geo: bool = True, enricher: Enricher | None = None,
            enrich: bool = True, online: bool = False, dns_server: str | None = None,
            authenticator: Authenticator | None = None, lookups: OnlineLookups | None = None,
            journal: Journal | None = None) -> Report:
    """Analyse one raw message and explain the verdict.

    ``brands``, ``countries`` and ``scores`` default to the data shipped with the package;
    pass your own to use other brand lists, geo data or weights. ``enricher`` looks up the
    origin and links (offline by default: city geo-IP, ASN, the local phishing-feed store);
    ``enrich=False`` skips it. ``online=True`` (or an ``authenticator`` with a DNS provider) also
    asks DNS - ``dns_server`` "HOST:PORT", else the system's resolvers - for DKIM, SPF, DMARC,
    the origin's reverse DNS and the link hosts' addresses; ``lookups`` configures every online
    look-up instead (RDAP/WHOIS, reputation services, the per-message deadline). Nothing leaves
    the machine otherwise. Every answer goes through ``journal`` (a fresh one by default), which
    an evidence bundle is written from - or replayed from.
    """
    msg = parse_message(data)
    brand_index = brands or BrandIndex.load()
    if countries is None and offline_geo:
        countries = default_country_lookup()
    ev = gather(msg, brand_index=brand_index, countries=countries)
    enricher = enricher or default_enricher()
    journal = journal if journal is not None else Journal()
    if enrich:
        ev.enrichment = enricher.enrich(ev.origin.ip if ev.origin else None, ev.links, journal)
    if lookups is None and (online or (authenticator is not None and authenticator.dns is not None)):
        from .enrich.online import OnlineLookups

        dns = authenticator.dns if authenticator is not None else None
        if dns is None:
            from .enrich.dnsprovider import DnsProvider  # needs dnspython: the "online" extra

            dns = DnsProvider.from_spec(dns_server)
        lookups = OnlineLookups(dns=dns, authenticator=authenticator)
    judged = ev.raw if ev.raw is not None else data  # a forward's attached original, signatures and all
    if lookups is not None:
        ev.online = lookups.run(ev, judged, enricher, journal)
        ev.auth = ev.online.auth
    else:  # the receiving organisation's Authentication-Results headers only: nothing is asked
        ev.auth = (authenticator or Authenticator()).authenticate(ev, judged)
    sc = scores or default_scores()
    findings = run_checks(ev, sc)
    verdict, total = verdict_for(findings, sc)
    brand = pick_brand(ev)
    if brand is not None and brand.role == "sender" and verdict == "phishing":
        brand = BrandRef(brand.id, brand.name, brand.name_en, brand.country, brand.official_domains,
                         "impersonated")
    bj = brand.name if brand and brand.role == "impersonated" else ""
    be = brand.name_en if brand and brand.role == "impersonated" else ""
    return Report(
        verdict=verdict, score=total, summary=summarise(verdict, findings), brand=brand,
        subject=ev.subject, subject_raw=ev.subject_raw,
        spam_stamps=[*ev.stamps.subject_stamps, *ev.stamps.headers], sender=ev.from_addr,
        header_from=ev.header_from, reply_to=ev.reply_to, return_path=ev.return_path,
        message_id=ev.message_id, message_id_domain=ev.message_id_domain, origin=ev.origin,
        origin_country=ev.origin_country, hops=ev.hops, links=ev.links,
        list_id=ev.list_info.list_id if ev.list_info else "", findings=findings,
        advice=advice_for(verdict, bj, be), warnings=ev.warnings, enrichment=ev.enrichment,
        auth=ev.auth if ev.auth is not None and (ev.auth.online or authenticator is not None) else None,
        hosting=list(ev.online.hosting) if ev.online else [], online=ev.online,
    )


__all__ = ["analyze", "load_scores"]
