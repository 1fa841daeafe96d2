"""Offline country of an IP address, from the data file the ``geoip2fast`` package ships.

The file is loaded on first use (about 0.1 s) and kept for the process. City-level data,
ASNs and user-supplied MaxMind databases belong to the enrichment providers.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    name: str
    source: str  # data set and its date, e.g. "MAXMIND:GeoLite2-Country-IPv4-en-20240618"


class CountryLookup(Protocol):
    def country(self, ip: str) -> Country | None: ...


class Geoip2FastCountry:
    """IPv4 country lookups from geoip2fast's bundled GeoLite2-derived file."""

    def __init__(self) -> None:
        from geoip2fast import GeoIP2Fast

        self._db: Any = GeoIP2Fast(verbose=False)
        info = self._db.get_database_info()
        self.source = str(info.get("source_info", "geoip2fast"))

    def country(self, ip: str) -> Country | None:
        try:
            if ipaddress.ip_address(ip).version != 4:
                return None
        except ValueError:
            return None
        result = self._db.lookup(ip)
        code = str(getattr(result, "country_code", "") or "")
        if len(code) != 2 or code == "--":
            return None
        return Country(code=code, name=str(result.country_name), source=self.source)


@cache
def _territories_ja() -> dict[str, str]:
    from babel import Locale  # CLDR's country names, shipped with Babel

    return {str(k): str(v) for k, v in Locale("ja").territories.items()}


def country_name_ja(code: str, fallback: str = "") -> str:
    """The Japanese name of an ISO 3166 country code (中国 for CN), from CLDR via Babel."""
    return _territories_ja().get(code.upper(), fallback or code)


@cache
def default_country_lookup() -> CountryLookup:
    return Geoip2FastCountry()
