"""Checks on what enrichment found: facts from outside the message (phishing feeds).

They read ``ev.enrichment`` (an :class:`~mailsleuth.enrich.Enrichment`, or None when the
analysis ran without enrichment) and stay silent without it, so the core verdict never
depends on whether the feed store was imported.
"""

from __future__ import annotations

from ..enrich.enricher import Enrichment
from ..evidence import Evidence
from . import Hit, check

# A URL or host in a feed names the phishing server itself; a registrable domain only says that
# another host of the same domain was listed (shared platforms are never matched that way).
CONFIDENCE = {"url": 1.0, "host": 1.0, "domain": 0.7}


def enrichment_of(ev: Evidence) -> Enrichment | None:
    """The evidence's enrichment, if the pipeline attached one."""
    enr = getattr(ev, "enrichment", None)
    return enr if isinstance(enr, Enrichment) else None


@check("FEED_HIT", "links")
def feed_hit(ev: Evidence) -> Hit | None:
    """A link of the mail is listed by a phishing feed: the same URL, the same host, or another
    host of the same registrable domain."""
    enr = enrichment_of(ev)
    if enr is None:
        return None
    pairs = enr.feed_hits()
    if not pairs:
        return None
    link, hit = pairs[0]
    brand = ev.brand_index.get(hit.brand_id) if hit.brand_id else None
    brand_ja = brand.name if brand else hit.brand
    brand_en = brand.name_en if brand else hit.brand
    domain = link.registrable_domain or link.host
    how_ja, how_en = {
        "url": ("同じ URL が掲載", "the same URL"),
        "host": ("同じホスト名が掲載", "the same host name"),
        "domain": (f"同じドメイン {domain} の別のホストが掲載", f"another host of its domain {domain}"),
    }[hit.matched_on]
    evidence = [f"url: {link.url}", f"feed: {hit.feed}", f"listed: {hit.date}",
                f"brand: {hit.brand or 'not given'}" + (f" ({hit.brand_id})" if hit.brand_id else ""),
                f"matched on: {hit.matched_on} {hit.value}", f"feed entry: {hit.entry}"]
    if hit.count > 1:
        evidence.append(f"entries: {hit.count}")
    more = {h.feed for _, h in pairs[1:]} - {hit.feed}
    if more:
        evidence.append(f"also in: {', '.join(sorted(more))}")
    return Hit(evidence=evidence,
               params={"url": link.url, "host": link.host, "domain": domain, "value": hit.value, "feed": hit.feed,
                       "date": hit.date[:10], "matched_on": hit.matched_on, "how_ja": how_ja, "how_en": how_en,
                       "brand": brand_ja or "不明", "brand_en": brand_en or "unknown",
                       "target_ja": f"{brand_ja}を装うフィッシングサイト" if brand_ja else "フィッシングサイト",
                       "target_en": f"a phishing site imitating {brand_en}" if brand_en else "a phishing site"},
               confidence=CONFIDENCE[hit.matched_on])
