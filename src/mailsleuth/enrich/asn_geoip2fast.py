"""Offline ASN organisation from the ``geoip2fast`` package's bundled ``geoip2fast-asn.dat.gz``.

The file is MaxMind GeoLite2 Country + ASN data for IPv4, converted by geoip2fast; the
package's own data date is in its ``source_info`` (``...-20240618``). It names the
organisation and the announced prefix, but not the AS number (geoip2fast keeps only the
names), so ``AsnAnswer.asn`` is None here; a user's ``GeoLite2-ASN.mmdb`` gives the number.

Loading takes about 0.25 s (it unpickles the whole table), so it happens on the first lookup
and once per process (:func:`shared_geoip2fast_asn`). geoip2fast keeps its tables in module
globals: every ``GeoIP2Fast`` object of a process shares them, and loading another file
replaces them for all. The country-only file that :mod:`mailsleuth.geo` loads carries the
same country table, so the two coexist; do not load geoip2fast's IPv6 or city files in the
same process.
"""

from __future__ import annotations

import re
import threading
from functools import cache
from typing import Any

from .mmdb import GEOLITE_LICENCE
from .providers import AsnAnswer, ProviderUnavailable, now_iso

ASN_FILE = "geoip2fast-asn.dat.gz"
_DATE_RE = re.compile(r"(20\d{2})(\d{2})(\d{2})")


class Geoip2FastAsn:
    """``AsnProvider`` over geoip2fast's ASN file (IPv4 only)."""

    name = "asn:geoip2fast"

    def __init__(self, data_file: str = ASN_FILE) -> None:
        self._data_file = data_file
        self._db: Any = None
        self._lock = threading.Lock()
        self.source = ""
        self.source_date = ""

    def _load(self) -> Any:
        if self._db is None:
            with self._lock:
                if self._db is None:
                    try:
                        from geoip2fast import GeoIP2Fast
                    except ImportError as exc:
                        raise ProviderUnavailable("geoip2fast is not installed") from exc
                    try:
                        db = GeoIP2Fast(verbose=False, geoip2fast_data_file=self._data_file)
                    except Exception as exc:  # geoip2fast raises its own GeoIPError for every failure
                        raise ProviderUnavailable(f"cannot load {self._data_file}: {exc}") from exc
                    info = str(db.get_database_info().get("source_info", "")) or "geoip2fast"
                    self.source = info
                    m = _DATE_RE.search(info)
                    self.source_date = f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else ""
                    self._db = db
        return self._db

    def asn(self, ip: str) -> AsnAnswer | None:
        result = self._load().lookup(ip)
        org = str(getattr(result, "asn_name", "") or "")
        if not org or getattr(result, "is_private", False):
            return None
        return AsnAnswer(ip=ip, asn=None, org=org, network=str(getattr(result, "asn_cidr", "") or ""),
                         source=self.source, source_date=self.source_date, licence=GEOLITE_LICENCE,
                         obtained_at=now_iso())


@cache
def shared_geoip2fast_asn() -> Geoip2FastAsn:
    """The process-wide provider (the data is process-wide anyway, see the module docstring)."""
    return Geoip2FastAsn()
