"""The ``Enricher``: asks the configured providers about one message's origin address and
links, and gathers the answers, with what was skipped and why, into an ``Enrichment``.

Providers are injected, never global, so that tests, the command line and library users
choose what is asked (offline files only by default; online resolvers only when the user
opts in) and so that one enricher - with its loaded data - serves every message of a run.
Nothing here raises: a missing package, a missing file, a private address or a provider's
bug becomes a ``skipped`` entry naming the provider and the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, TypeVar

from ..models import CLICKABLE, Link
from .journal import Journal, failure_text
from .providers import (
    AsnAnswer,
    AsnProvider,
    FeedHit,
    FeedProvider,
    GeoAnswer,
    GeoProvider,
    ProviderUnavailable,
    Skipped,
    decoder,
    encode_list,
    encode_optional,
    list_decoder,
    not_public,
)

T = TypeVar("T")
MAX_LINKS = 50  # links asked about per message (a newsletter may carry hundreds)
_STRENGTH = {"url": 0, "host": 1, "domain": 2}


@dataclass(frozen=True, slots=True)
class LinkFeedHits:
    """The feed entries one link of the message matches."""

    url: str
    host: str
    registrable_domain: str
    hits: tuple[FeedHit, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "host": self.host, "registrable_domain": self.registrable_domain,
                "feed_hits": [h.to_dict() for h in self.hits]}


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What the providers said about one message. Links without any hit are not listed."""

    origin_ip: str | None = None
    origin_geo: GeoAnswer | None = None
    origin_asn: AsnAnswer | None = None
    links: tuple[LinkFeedHits, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    providers: tuple[str, ...] = field(default=())  # names of the providers that were asked

    def feed_hits(self) -> list[tuple[LinkFeedHits, FeedHit]]:
        """Every (link, hit), strongest match first (url, host, domain), then latest listing."""
        pairs = [(link, hit) for link in self.links for hit in link.hits]
        pairs.sort(key=lambda p: p[1].date, reverse=True)
        pairs.sort(key=lambda p: _STRENGTH[p[1].matched_on])
        return pairs

    def to_dict(self) -> dict[str, Any]:
        return {
            "origin": {
                "ip": self.origin_ip,
                "geo": self.origin_geo.to_dict() if self.origin_geo else None,
                "asn": self.origin_asn.to_dict() if self.origin_asn else None,
            },
            "links": [link.to_dict() for link in self.links],
            "providers": list(self.providers),
            "skipped": [s.to_dict() for s in self.skipped],
        }


class Enricher:
    """Asks ``geo``, ``asn`` and ``feeds`` (each optional) about a message's origin and links."""

    def __init__(self, *, geo: GeoProvider | None = None, asn: AsnProvider | None = None,
                 feeds: FeedProvider | None = None, max_links: int = MAX_LINKS,
                 clock: Callable[[], str] | None = None) -> None:
        """``clock``, when given, stamps the geo and ASN answers' ``obtained_at`` instead of the
        providers' own time: reports that must be reproducible byte for byte (golden files) pass
        a fixed one. Feed hits carry the store's import time, which a lookup does not change."""
        self.geo = geo
        self.asn = asn
        self.feeds = feeds
        self.max_links = max_links
        self.clock = clock
        self._down: dict[str, str] = {}  # provider name -> why it cannot answer at all (asked once)

    def enrich(self, origin_ip: str | None, links: Sequence[Link], journal: Journal | None = None) -> Enrichment:
        """Ask about ``origin_ip`` and ``links``; every answer goes through ``journal`` (recorded,
        or replayed from an evidence bundle)."""
        j = journal if journal is not None else Journal()
        skipped: list[Skipped] = []
        geo = asn = None
        if origin_ip:
            reason = not_public(origin_ip)
            if reason is not None:
                for p in (self.geo, self.asn):
                    if p is not None:
                        skipped.append(Skipped(p.name, reason, origin_ip))
            else:
                if self.geo is not None:
                    geo = self._ask(j, self.geo.name, "geo", origin_ip, skipped, self.geo.geo, decoder(GeoAnswer))
                if self.asn is not None:
                    asn = self._ask(j, self.asn.name, "asn", origin_ip, skipped, self.asn.asn, decoder(AsnAnswer))
        found: list[LinkFeedHits] = []
        if self.feeds is not None:
            found = self._links(j, self.feeds, links, skipped)
        names = tuple(p.name for p in (self.geo, self.asn, self.feeds) if p is not None)
        if self.clock is not None:
            at = self.clock()
            geo = replace(geo, obtained_at=at) if geo else None
            asn = replace(asn, obtained_at=at) if asn else None
        return Enrichment(origin_ip=origin_ip, origin_geo=geo, origin_asn=asn, links=tuple(found),
                          skipped=tuple(skipped), providers=names)

    def place(self, ip: str, journal: Journal, skipped: list[Skipped]) -> tuple[GeoAnswer | None, AsnAnswer | None]:
        """Geo and ASN of one public address (a link host's), through ``journal``."""
        geo = asn = None
        if self.geo is not None:
            geo = self._ask(journal, self.geo.name, "geo", ip, skipped, self.geo.geo, decoder(GeoAnswer))
        if self.asn is not None:
            asn = self._ask(journal, self.asn.name, "asn", ip, skipped, self.asn.asn, decoder(AsnAnswer))
        if self.clock is not None:
            at = self.clock()
            geo = replace(geo, obtained_at=at) if geo else None
            asn = replace(asn, obtained_at=at) if asn else None
        return geo, asn

    def _links(self, j: Journal, feeds: FeedProvider, links: Sequence[Link],
               skipped: list[Skipped]) -> list[LinkFeedHits]:
        out: list[LinkFeedHits] = []
        seen: set[str] = set()
        asked = 0
        for link in links:
            if link.source not in CLICKABLE or link.url in seen:
                continue
            seen.add(link.url)
            if asked >= self.max_links:
                skipped.append(Skipped(feeds.name, f"only the first {self.max_links} links were looked up"))
                break
            asked += 1
            hits = self._ask(j, feeds.name, "feed", link.url, skipped, partial(_lookup, feeds, link),
                             list_decoder(FeedHit), encode_list)
            if hits:
                out.append(LinkFeedHits(link.url, link.host, link.registrable_domain, tuple(hits)))
            if feeds.name in self._down:
                break
        return out

    def _ask(self, journal: Journal, name: str, kind: str, target: str, skipped: list[Skipped],
             fn: Callable[[str], T], decode: Callable[[Any], T], encode: Callable[[T], Any] = encode_optional,
             ) -> T | None:
        """``fn(target)`` through the journal, or None with a ``skipped`` entry saying why there is no answer."""
        ask: Callable[[], T] = partial(_unavailable, self._down[name]) if name in self._down else partial(fn, target)
        try:
            answer = journal.ask(name, kind, target, ask, encode, decode)
        except ProviderUnavailable as exc:
            self._down[name] = str(exc)
            skipped.append(Skipped(name, str(exc), target))
            return None
        except Exception as exc:  # a provider's failure must not stop the analysis
            skipped.append(Skipped(name, failure_text(exc), target))
            return None
        if answer is None:
            skipped.append(Skipped(name, "no entry for this address in the data", target))
        return answer


def _unavailable(reason: str) -> Any:
    """The answer of a provider already known to be down: recorded like any other failure."""
    raise ProviderUnavailable(reason)


def _lookup(feeds: FeedProvider, link: Link, _target: str) -> list[FeedHit]:
    return feeds.lookup(link.url, link.host, link.registrable_domain)
