"""Enrichment: facts about a message's origin address and links from data beyond the
message - city and network of the origin, and phishing feeds that list a link.

* :mod:`.providers` - the answers (``GeoAnswer``, ``AsnAnswer``, ``FeedHit``, ``Skipped``)
  and the interfaces providers implement (``GeoProvider``, ``AsnProvider``, ``FeedProvider``).
* :mod:`.enricher` - ``Enricher`` asks the injected providers, ``Enrichment`` holds the result.
* :mod:`.mmdb`, :mod:`.asn_geoip2fast` - offline geolocation and ASN data.
* :mod:`.feedstore`, :mod:`.feedformats`, :mod:`.feedkeys` - the local SQLite feed store,
  the feed formats it imports and how links are matched; :mod:`.feedupdate` downloads feeds
  (online, only when the user runs ``mailsleuth feeds update``).
* :mod:`.defaults` - the offline enricher the pipeline uses by default.
"""

from __future__ import annotations

from .defaults import default_enricher, offline_enricher
from .enricher import Enricher, Enrichment, LinkFeedHits
from .feedstore import FeedStore, default_store_path
from .providers import (
    AsnAnswer,
    AsnProvider,
    FeedHit,
    FeedProvider,
    GeoAnswer,
    GeoProvider,
    ProviderUnavailable,
    Skipped,
)

__all__ = [
    "AsnAnswer",
    "AsnProvider",
    "Enricher",
    "Enrichment",
    "FeedHit",
    "FeedProvider",
    "FeedStore",
    "GeoAnswer",
    "GeoProvider",
    "LinkFeedHits",
    "ProviderUnavailable",
    "Skipped",
    "default_enricher",
    "default_store_path",
    "offline_enricher",
]
