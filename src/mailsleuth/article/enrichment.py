"""Look-up results for the article's "reputation" section and map, read leniently.

Two shapes are accepted (or any object with a ``to_dict()`` giving one of them):

* ``mailsleuth.enrich.Enrichment.to_dict()``: ``{"origin": {"ip", "geo": {...}, "asn": {...}},
  "links": [{"url", "feed_hits": [...]}], "providers": [...], "skipped": [...]}``;
* a generic list of facts per indicator (for look-ups the enrich package does not make, such
  as WHOIS)::

    {"source": "...", "items": [{"indicator": "revapec.cn", "kind": "domain",
                                 "facts": {"registrar": "..."} or [[label, value], ...],
                                 "location": {"lat": 34.05, "lon": -118.24, "label": "..."}}]}

A location in the generic shape is drawn as a blue "hosting" marker; the origin's city from
the enrich package replaces the red country marker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .worldmap import MapPoint

_LABELS = {
    "ja": {"place": "所在地", "network": "ネットワーク", "prefix": "IP アドレスの範囲",
           "feed": "フィッシング情報に掲載",
           "match": {"url": "URL が一致", "host": "ホスト名が一致", "domain": "ドメインが一致"}},
    "en": {"place": "Location", "network": "Network", "prefix": "Address range", "feed": "Listed in a phishing feed",
           "match": {"url": "same URL", "host": "same host", "domain": "same domain"}},
}


_PATH_RE = re.compile(r"(?<![\w:/])(?:~|[A-Za-z]:)?(?:[/\\][^\s/\\()]+)+[/\\]?")


class SupportsToDict(Protocol):
    def to_dict(self) -> Mapping[str, Any]: ...


EnrichmentLike = Mapping[str, Any] | SupportsToDict


@dataclass(frozen=True, slots=True)
class Enriched:
    indicator: str
    kind: str  # "ip" | "domain" | "host" | "url" | ""
    facts: tuple[tuple[str, str], ...]
    location: MapPoint | None


@dataclass(frozen=True, slots=True)
class EnrichView:
    items: tuple[Enriched, ...]
    sources: tuple[str, ...]  # data sets and their licences, to credit
    skipped: tuple[str, ...]  # what could not be looked up, and why


def _s(value: object) -> str:
    return "" if value is None else str(value).strip()


def _point(lat: object, lon: object, label: str, kind: str) -> MapPoint | None:
    try:
        la, lo = float(lat), float(lon)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if -90 <= la <= 90 and -180 <= lo <= 180:
        return MapPoint(lo, la, label, kind)
    return None


def _generic(data: Mapping[str, Any]) -> EnrichView:
    out: list[Enriched] = []
    items = data.get("items")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        indicator = _s(item.get("indicator"))
        if not indicator:
            continue
        raw = item.get("facts", {})
        facts: list[tuple[str, str]] = []
        if isinstance(raw, Mapping):
            facts = [(_s(k), _s(v)) for k, v in raw.items() if _s(v)]
        elif isinstance(raw, list):
            facts = [(_s(f[0]), _s(f[1])) for f in raw if isinstance(f, list | tuple) and len(f) == 2 and _s(f[1])]
        loc = item.get("location")
        point = _point(loc.get("lat"), loc.get("lon"), _s(loc.get("label")), "hosting") if isinstance(loc, Mapping) \
            else None
        out.append(Enriched(indicator, _s(item.get("kind")), tuple(facts), point))
    source = _s(data.get("source"))
    return EnrichView(tuple(out), (source,) if source else (), ())


def _enrich_package(data: Mapping[str, Any], lang: str) -> EnrichView:
    labels = _LABELS[lang]
    items: list[Enriched] = []
    sources: list[str] = []
    origin = data.get("origin")
    if isinstance(origin, Mapping):
        geo, asn = origin.get("geo"), origin.get("asn")
        facts: list[tuple[str, str]] = []
        point = None
        if isinstance(geo, Mapping):
            place = ", ".join(x for x in (_s(geo.get("city")), _s(geo.get("region")), _s(geo.get("country_name"))) if x)
            if place:
                facts.append((str(labels["place"]), place))
            label = _s(geo.get("city")) or _s(geo.get("country_name"))
            point = _point(geo.get("lat"), geo.get("lon"), label, "origin")
            sources.append(" ".join(x for x in (_s(geo.get("source")), _s(geo.get("source_date")),
                                                f"({_s(geo.get('licence'))})" if _s(geo.get("licence")) else "") if x))
        if isinstance(asn, Mapping):
            number = _s(asn.get("asn"))
            name = " ".join(x for x in (f"AS{number}" if number else "", _s(asn.get("org"))) if x)
            if name:
                facts.append((str(labels["network"]), name))
            if _s(asn.get("network")):
                facts.append((str(labels["prefix"]), _s(asn.get("network"))))
            sources.append(" ".join(x for x in (_s(asn.get("source")),
                                                f"({_s(asn.get('licence'))})" if _s(asn.get("licence")) else "") if x))
        ip = _s(origin.get("ip"))
        if ip and (facts or point):
            items.append(Enriched(ip, "ip", tuple(facts), point))
    links = data.get("links")
    match = labels["match"]
    assert isinstance(match, dict)
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, Mapping):
            continue
        hits = link.get("feed_hits")
        facts = []
        for hit in hits if isinstance(hits, list) else []:
            if isinstance(hit, Mapping):
                how = match.get(_s(hit.get("matched_on")), _s(hit.get("matched_on")))
                text = " ".join(x for x in (_s(hit.get("feed")), _s(hit.get("date"))[:10], _s(hit.get("brand")),
                                            f"({how}: {_s(hit.get('entry'))})") if x)
                facts.append((str(labels["feed"]), text))
        url = _s(link.get("url"))
        if url and facts:
            items.append(Enriched(url, "url", tuple(facts), None))
    skipped = data.get("skipped")
    # A shared report must not carry the local file paths some reasons name.
    missed = tuple(f"{_s(s.get('provider'))}: {_PATH_RE.sub('…', _s(s.get('reason')))}" for s in
                   (skipped if isinstance(skipped, list) else []) if isinstance(s, Mapping))
    return EnrichView(tuple(items), tuple(s for s in dict.fromkeys(sources) if s), tuple(dict.fromkeys(missed)))


def read_enrichment(value: EnrichmentLike | None, lang: str) -> EnrichView | None:
    if value is None:
        return None
    data: object = value if isinstance(value, Mapping) else value.to_dict()
    if not isinstance(data, Mapping):
        return EnrichView((), (), ())
    if "items" in data:
        return _generic(data)
    return _enrich_package(data, lang)
