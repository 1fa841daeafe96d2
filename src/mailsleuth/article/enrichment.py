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
           "feed": "フィッシング情報に掲載", "address": "IP アドレス", "registrar": "レジストラ",
           "created": "登録日", "registrant": "登録者", "nameservers": "ネームサーバー", "reputation": "評判",
           "holder": "割り当て先",
           "match": {"url": "URL が一致", "host": "ホスト名が一致", "domain": "ドメインが一致"}},
    "en": {"place": "Location", "network": "Network", "prefix": "Address range", "feed": "Listed in a phishing feed",
           "address": "IP address", "registrar": "Registrar", "created": "Registered", "registrant": "Registrant",
           "nameservers": "Name servers", "reputation": "Reputation", "holder": "Assigned to",
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
        facts, point = _placed(origin.get("geo"), origin.get("asn"), labels, sources, "origin", prefix=True)
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
    items.extend(_hosting(data.get("hosting"), labels, sources))
    items.extend(_registrations(data.get("online"), labels))
    skipped = list(data.get("skipped") or [])
    online = data.get("online")
    if isinstance(online, Mapping):
        skipped.extend(online.get("skipped") or [])
    # A shared report must not carry the local file paths some reasons name.
    missed = tuple(f"{_s(s.get('provider'))}: {_PATH_RE.sub('…', _s(s.get('reason')))}" for s in
                   (skipped if isinstance(skipped, list) else []) if isinstance(s, Mapping))
    return EnrichView(tuple(items), tuple(s for s in dict.fromkeys(sources) if s), tuple(dict.fromkeys(missed)))


def _placed(geo: object, asn: object, labels: Mapping[str, object], sources: list[str], kind: str, *,
            prefix: bool) -> tuple[list[tuple[str, str]], MapPoint | None]:
    """An address's place and network as article facts, its map marker (``kind``: "origin" or
    "hosting"), and the data sets to credit (added to ``sources``)."""
    facts: list[tuple[str, str]] = []
    point = None
    if isinstance(geo, Mapping):
        place = ", ".join(x for x in (_s(geo.get("city")), _s(geo.get("region")), _s(geo.get("country_name"))) if x)
        if place:
            facts.append((str(labels["place"]), place))
        point = _point(geo.get("lat"), geo.get("lon"), _s(geo.get("city")) or _s(geo.get("country_name")), kind)
        sources.append(" ".join(x for x in (_s(geo.get("source")), _s(geo.get("source_date")),
                                            f"({_s(geo.get('licence'))})" if _s(geo.get("licence")) else "") if x))
    if isinstance(asn, Mapping):
        number = _s(asn.get("asn"))
        name = " ".join(x for x in (f"AS{number}" if number else "", _s(asn.get("org"))) if x)
        if name:
            facts.append((str(labels["network"]), name))
        if prefix and _s(asn.get("network")):
            facts.append((str(labels["prefix"]), _s(asn.get("network"))))
        sources.append(" ".join(x for x in (_s(asn.get("source")),
                                            f"({_s(asn.get('licence'))})" if _s(asn.get("licence")) else "") if x))
    return facts, point


def _hosting(hosting: object, labels: Mapping[str, object], sources: list[str]) -> list[Enriched]:
    """Where the link hosts resolved (online runs): a blue marker per placed address."""
    out: list[Enriched] = []
    for h in hosting if isinstance(hosting, list) else []:
        if not isinstance(h, Mapping):
            continue
        for a in h.get("addresses") or []:
            if not isinstance(a, Mapping):
                continue
            facts, point = _placed(a.get("geo"), a.get("asn"), labels, sources, "hosting", prefix=False)
            facts.insert(0, (str(labels["address"]), _s(a.get("ip"))))
            out.append(Enriched(_s(h.get("host")), "host", tuple(facts), point))
    return out


def _registrations(online: object, labels: Mapping[str, object]) -> list[Enriched]:
    """Which registrar holds the link and sender domains, and since when (RDAP/WHOIS); reputation
    verdicts. The registrant's name stays in the JSON: an article meant to be shared names no person."""
    out: list[Enriched] = []
    if not isinstance(online, Mapping):
        return out
    for r in online.get("registrations") or []:
        if not isinstance(r, Mapping):
            continue
        facts = [(str(labels[k]), v) for k, v in (
            ("registrar", _s(r.get("registrar"))), ("created", _s(r.get("created"))[:10]),
            ("nameservers", ", ".join(r.get("nameservers") or [])))
            if v]
        if facts:
            out.append(Enriched(_s(r.get("domain")), "domain", tuple(facts), None))
    ipreg = online.get("origin_registration")
    if isinstance(ipreg, Mapping):
        org = _s(ipreg.get("org"))
        holder = " ".join(x for x in (_s(ipreg.get("name")), f"({org})" if org else "", _s(ipreg.get("country"))) if x)
        facts = [(str(labels[k]), v) for k, v in (("holder", holder), ("prefix", _s(ipreg.get("network")))) if v]
        if facts:
            out.append(Enriched(_s(ipreg.get("ip")), "ip", tuple(facts), None))
    for a in online.get("reputation") or []:
        if isinstance(a, Mapping) and _s(a.get("verdict")) in ("malicious", "suspicious"):
            out.append(Enriched(_s(a.get("target")), "url" if _s(a.get("kind")) == "url" else "domain",
                                ((str(labels["reputation"]), f"{_s(a.get('service'))}: {_s(a.get('detail'))}"),),
                                None))
    return out


def from_report(report: Any) -> Mapping[str, Any] | None:
    """Everything looked up for a report, as the article reads it: the offline enrichment plus,
    from online runs, where the link hosts are and who registered the domains."""
    enrichment = getattr(report, "enrichment", None)
    hosting = getattr(report, "hosting", None) or []
    online = getattr(report, "online", None)
    if enrichment is None and not hosting and online is None:
        return None
    data: dict[str, Any] = dict(enrichment.to_dict()) if enrichment is not None else {
        "origin": None, "links": [], "providers": [], "skipped": []}
    data["hosting"] = [h.to_dict() for h in hosting]
    if online is not None:
        data["online"] = online.to_dict()
    return data


def read_enrichment(value: EnrichmentLike | None, lang: str) -> EnrichView | None:
    if value is None:
        return None
    data: object = value if isinstance(value, Mapping) else value.to_dict()
    if not isinstance(data, Mapping):
        return EnrichView((), (), ())
    if "items" in data:
        return _generic(data)
    return _enrich_package(data, lang)
