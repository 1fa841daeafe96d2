"""Brand names spelled with look-alike characters.

A brand spells its own name. "Amie from Iedger" (capital I for l), "PayPaI", "lеԁgеr" with
Cyrillic letters or ``app1e-id.example`` are written to read as the brand to people and as
nothing to filters, so a name that :class:`mailsleuth.brands.BrandIndex` finds only on its
confusable skeleton is evidence of its own, whatever the other brand checks make of the name.
"""

from __future__ import annotations

from ..brands import BrandHit, HostHit
from ..evidence import Evidence
from ..models import CLICKABLE
from . import Hit, check
from .sender import brand_owns, official_list

_MAX_LINKS = 200  # link hosts looked at; the host matcher is cached, but a mail may carry thousands


def _name_hits(ev: Evidence) -> list[tuple[str, BrandHit]]:
    out = [("name", h) for h in ev.brands_in_name if h.confusable]
    out += [("subject", h) for h in ev.brands_in_subject if h.confusable]
    return out


def _host_hits(ev: Evidence) -> list[tuple[str, str, HostHit]]:
    out: list[tuple[str, str, HostHit]] = []
    if ev.from_addr and ev.from_addr.domain:
        out += [("from", ev.from_addr.domain, h) for h in ev.brand_index.host_confusables(ev.from_addr.domain)]
    for link in ev.links[:_MAX_LINKS]:
        if link.host and link.source in CLICKABLE:
            out += [("link", link.host, h) for h in ev.brand_index.host_confusables(link.host)]
    return out


@check("BRAND_NAME_CONFUSABLE", "sender")
def brand_name_confusable(ev: Evidence) -> Hit | None:
    """A brand name in the display name, subject, sender domain or a link host that matches only
    once look-alike characters are folded (I/l/1, 0/o, rn/m, Cyrillic or Greek letters)."""
    sender = ev.from_addr
    evidence: list[str] = []
    brand_names: list[str] = []
    brand_ja: list[str] = []
    official = ""
    for where, hit in _name_hits(ev):
        if sender is not None and brand_owns(ev, hit.brand, sender):
            continue
        evidence.append(f"{where}: {hit.seen} -> {hit.matched} (confusable)")
        brand_names.append(hit.brand.name_en)
        brand_ja.append(hit.brand.name)
        official = official or official_list(hit.brand)
    for where, host, hh in _host_hits(ev):
        evidence.append(f"{where}: {host}: {hh.seen} -> {hh.token} (confusable)")
        brand_names.append(hh.brand.name_en)
        brand_ja.append(hh.brand.name)
        official = official or official_list(hh.brand)
    if not evidence:
        return None
    evidence.append(f"official: {official}")
    first = evidence[0].split(": ", 1)[1].split(" (confusable)", 1)[0]
    return Hit(evidence=evidence[:6],
               params={"brand": brand_ja[0], "brand_en": brand_names[0], "spelling": first, "official": official})
