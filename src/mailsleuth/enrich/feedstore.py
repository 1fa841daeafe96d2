"""The local phishing-feed store: one SQLite file that ``mailsleuth feeds import`` fills and
analysis reads.

Why SQLite: the JPCERT/CC list alone has about 260,000 URLs (2019-2025). Loading them into
memory for every ``mailsleuth analyze`` would cost seconds; an indexed file answers a link
in microseconds, survives between runs, and is updated in place. The store is opened
read-only for analysis (and only when the file exists), so analysing never creates or
changes a file.

Each entry keeps its feed, the URL as the feed wrote it, its URL key, host and registrable
domain (see :mod:`.feedkeys`), the brand the feed gives, and when the feed first and last
listed it. Importing the same file twice changes nothing (entries are keyed by feed and URL
key; dates only widen), so imports can be repeated after every download.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..brands import BrandIndex
from ..normalize import fold
from .feedformats import FEED_NAMES, LICENCES, FeedRecord, Format, detect, is_feed_file, read
from .feedkeys import SharedPlatforms, split_entry
from .providers import FeedHit, MatchedOn, ProviderUnavailable, now_iso

SCHEMA_VERSION = 1
MAX_HITS_PER_LEVEL = 5
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds(
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, format TEXT NOT NULL, source TEXT NOT NULL,
  licence TEXT NOT NULL, imported_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries(
  id INTEGER PRIMARY KEY, feed INTEGER NOT NULL REFERENCES feeds(id), key TEXT NOT NULL, url TEXT NOT NULL,
  host TEXT NOT NULL, domain TEXT NOT NULL, brand TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS entries_key ON entries(key, feed);
CREATE INDEX IF NOT EXISTS entries_host ON entries(host);
CREATE INDEX IF NOT EXISTS entries_domain ON entries(domain);
"""
# Dates only widen and a brand is only filled in or replaced by a later listing's, so a repeated
# import rewrites no row (the WHERE clause) and changes nothing.
_UPSERT = """
INSERT INTO entries(key, feed, url, host, domain, brand, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(key, feed) DO UPDATE SET
  first_seen = CASE WHEN first_seen = '' OR (excluded.first_seen != '' AND excluded.first_seen < first_seen)
                    THEN excluded.first_seen ELSE first_seen END,
  brand = CASE WHEN excluded.brand != '' AND (brand = '' OR excluded.last_seen > last_seen)
               THEN excluded.brand ELSE brand END,
  last_seen = CASE WHEN excluded.last_seen > last_seen THEN excluded.last_seen ELSE last_seen END
WHERE (excluded.first_seen != '' AND (first_seen = '' OR excluded.first_seen < first_seen))
   OR excluded.last_seen > last_seen OR (brand = '' AND excluded.brand != '')
"""
_GROUPED = ("SELECT f.name, e.brand, max(e.last_seen), e.url, count(*) FROM entries e JOIN feeds f ON f.id = e.feed "
            "WHERE e.{col} = ? GROUP BY e.feed ORDER BY max(e.last_seen) DESC LIMIT ?")
_BY_KEY = ("SELECT f.name, e.brand, e.last_seen, e.url, 1 FROM entries e JOIN feeds f ON f.id = e.feed "
           "WHERE e.key = ? ORDER BY e.last_seen DESC")


def default_store_path() -> Path:
    """``$MAILSLEUTH_FEEDS``, else ``$XDG_DATA_HOME/mailsleuth/feeds.sqlite`` (default
    ``~/.local/share``; ``%LOCALAPPDATA%`` on Windows)."""
    explicit = os.environ.get("MAILSLEUTH_FEEDS")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or (os.environ.get("LOCALAPPDATA") if os.name == "nt" else None)
    root = Path(base).expanduser() if base else Path.home() / ".local" / "share"
    return root / "mailsleuth" / "feeds.sqlite"


@dataclass(frozen=True, slots=True)
class ImportResult:
    feed: str
    path: str
    format: str
    files: int  # files read
    rows: int  # lines or records read
    unusable: int  # rows without a usable URL or host
    added: int  # entries that were not in the store before
    total: int  # entries of the feed after the import
    seconds: float


@dataclass(frozen=True, slots=True)
class FeedInfo:
    name: str
    format: str
    source: str
    licence: str
    imported_at: str
    entries: int
    first: str
    last: str


class FeedStore:
    """The SQLite store: import feeds into it, and look links up in it (a ``FeedProvider``)."""

    name = "feeds:sqlite"

    def __init__(self, path: Path | str | None = None, *, readonly: bool = False,
                 brands: BrandIndex | None = None) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        self.readonly = readonly
        self._brands = brands
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._lock = threading.RLock()
        self._shared: SharedPlatforms | None = None
        self._brand_map: dict[str, str | None] = {}
        self._feed_meta: dict[str, tuple[str, str]] | None = None

    # ------------------------------------------------------------------ connection
    def connection(self) -> sqlite3.Connection:
        """The connection, opened on first use (and again in a forked child process)."""
        with self._lock:
            if self._conn is None or self._pid != os.getpid():
                self._conn = self._connect()
                self._pid = os.getpid()
            return self._conn

    def _connect(self) -> sqlite3.Connection:
        if self.readonly:
            if not self.path.is_file():
                raise ProviderUnavailable(f"no feed store at {self.path} (run: mailsleuth feeds import FILE|DIR)")
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                conn.close()
                raise ProviderUnavailable(f"{self.path} has store version {version}, expected {SCHEMA_VERSION}")
            return conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), check_same_thread=False)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            conn.close()
            raise ValueError(f"{self.path} has store version {version}; this mailsleuth writes {SCHEMA_VERSION}")
        conn.executescript(_SCHEMA)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.commit()
        return conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    def __enter__(self) -> FeedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def brand_index(self) -> BrandIndex:
        if self._brands is None:
            self._brands = BrandIndex.load()
        return self._brands

    # ------------------------------------------------------------------ import
    def import_path(self, path: Path | str, *, feed: str | None = None,
                    fmt: Format | None = None) -> list[ImportResult]:
        """Import a feed file, or every feed file under a directory (recursively, in name
        order), with one transaction per feed: all of JPCERT/CC's monthly files are one import."""
        p = Path(path)
        files = sorted(f for f in p.rglob("*") if f.is_file() and is_feed_file(f)) if p.is_dir() else [p]
        groups: dict[tuple[str, Format], list[Path]] = {}
        for f in files:
            f_fmt = fmt or detect(f)
            groups.setdefault((feed or FEED_NAMES.get(f_fmt) or _list_name(f), f_fmt), []).append(f)
        results = []
        for (name, f_fmt), members in groups.items():
            records = (rec for f in members for rec in read(f, f_fmt))
            source = str(p) if p.is_dir() else str(members[0])
            results.append(self.import_records(name, records, source=source, fmt=f_fmt, files=len(members)))
        return results

    def import_file(self, path: Path, *, feed: str | None = None, fmt: Format | None = None) -> ImportResult:
        """Import one feed file (its format detected unless given)."""
        fmt = fmt or detect(path)
        return self.import_records(feed or FEED_NAMES.get(fmt) or _list_name(path), read(path, fmt),
                                   source=str(path), fmt=fmt)

    def import_records(self, feed: str, records: Iterable[FeedRecord], *, source: str, fmt: str = "list",
                       licence: str | None = None, files: int = 1) -> ImportResult:
        """Add ``records`` to feed ``feed`` in one transaction; returns what changed.

        Records are merged in memory first (a URL listed every month is one entry with its
        first and last date), then written in key order, which keeps the index writes local."""
        if self.readonly:
            raise ValueError("the feed store was opened read-only")
        start = time.perf_counter()
        rows = unusable = 0
        merged: dict[str, list[Any]] = {}
        for rec in records:
            rows += 1
            keys = split_entry(rec.url)
            if keys is None:
                unusable += 1
                continue
            seen = merged.get(keys.key)
            if seen is None:
                # a redirect is matched by its exact URL only: no host or domain to look it up by
                host, domain = ("", "") if keys.redirect else (keys.host, keys.domain)
                merged[keys.key] = [keys.key, 0, keys.url, host, domain, rec.brand, rec.date, rec.date]
            else:
                _widen(seen, rec)
        conn = self.connection()
        with self._lock, conn:
            conn.execute(
                "INSERT INTO feeds(name, format, source, licence, imported_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET format = excluded.format, source = excluded.source, "
                "licence = excluded.licence, imported_at = excluded.imported_at",
                (feed, fmt, source, licence or LICENCES.get(feed, "as stated by the list's provider"), now_iso()))
            feed_id = int(conn.execute("SELECT id FROM feeds WHERE name = ?", (feed,)).fetchone()[0])
            before = _count(conn, feed_id)
            for row in merged.values():
                row[1] = feed_id
            conn.executemany(_UPSERT, (merged[k] for k in sorted(merged)))
            total = _count(conn, feed_id)
        self._feed_meta = None
        return ImportResult(feed=feed, path=source, format=fmt, files=files, rows=rows, unusable=unusable,
                            added=total - before, total=total, seconds=round(time.perf_counter() - start, 3))

    def feeds(self) -> list[FeedInfo]:
        """The feeds in the store, with their entry counts and date ranges."""
        conn = self.connection()
        out = []
        for name, fmt, source, licence, imported_at in conn.execute(
                "SELECT name, format, source, licence, imported_at FROM feeds ORDER BY name").fetchall():
            n, first, last = conn.execute(
                "SELECT count(*), min(e.first_seen), max(e.last_seen) FROM entries e JOIN feeds f ON f.id = e.feed "
                "WHERE f.name = ?", (name,)).fetchone()
            out.append(FeedInfo(name, fmt, source, licence, imported_at, int(n), first or "", last or ""))
        return out

    # ------------------------------------------------------------------ lookup
    def lookup(self, url: str, host: str, registrable_domain: str) -> list[FeedHit]:
        """Feed entries for a link, strongest first: the same URL, the same host, the same
        registrable domain. One hit per feed (its strongest level); hosts and domains of shared
        platforms and brands' own domains are matched by exact URL only."""
        conn = self.connection()
        shared = self._shared_platforms()
        hits: list[FeedHit] = []
        done: set[str] = set()
        keys = split_entry(url) if url else None
        with self._lock:
            if keys is not None and keys.key.startswith("u:"):
                rows = conn.execute(_BY_KEY, (keys.key,)).fetchall()
                self._add(hits, done, rows, "url", url)
            if host and not shared.host_is_shared(host):
                rows = conn.execute(_GROUPED.format(col="host"), (host, MAX_HITS_PER_LEVEL)).fetchall()
                self._add(hits, done, rows, "host", host)
            if registrable_domain and not shared.domain_is_shared(registrable_domain):
                rows = conn.execute(_GROUPED.format(col="domain"), (registrable_domain, MAX_HITS_PER_LEVEL)).fetchall()
                self._add(hits, done, rows, "domain", registrable_domain)
        return hits

    def _add(self, hits: list[FeedHit], done: set[str], rows: list[Any], level: MatchedOn, value: str) -> None:
        meta = self._meta()
        for feed, brand, last_seen, entry, count in rows:
            if feed in done:
                continue
            done.add(feed)
            source, imported_at = meta.get(feed, ("", ""))
            hits.append(FeedHit(feed=feed, date=last_seen, brand=brand, brand_id=self.brand_id(brand),
                                matched_on=level, value=value, entry=entry, count=int(count), source=source,
                                imported_at=imported_at))

    def _meta(self) -> dict[str, tuple[str, str]]:
        if self._feed_meta is None:
            rows = self.connection().execute("SELECT name, source, imported_at FROM feeds").fetchall()
            self._feed_meta = {name: (source, at) for name, source, at in rows}
        return self._feed_meta

    def _shared_platforms(self) -> SharedPlatforms:
        if self._shared is None:
            self._shared = SharedPlatforms(self.brand_index())
        return self._shared

    def brand_id(self, description: str) -> str | None:
        """Our brand id for a feed's brand text: an exact ``jpcert_descriptions`` entry of
        brands.json, else a brand whose whole name it is ("PayPal"); never a partial match
        ("三菱UFJニコス" is not 三菱UFJ銀行)."""
        if not description:
            return None
        key = description.strip().casefold()
        if key in self._brand_map:
            return self._brand_map[key]
        index = self.brand_index()
        found: str | None = None
        for b in index.brands:
            if any(d.strip().casefold() == key for d in b.jpcert_descriptions):
                found = b.id
                break
        if found is None:
            named = index.find(description, allow_weak=True)
            if len(named) == 1 and named[0].matched == fold(description):
                found = named[0].brand.id
        self._brand_map[key] = found
        return found


def _list_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".bz2", ".txt", ".lst", ".list", ".csv"):
        name = name.removesuffix(suffix)
    return name or "list"


def _count(conn: sqlite3.Connection, feed_id: int) -> int:
    return int(conn.execute("SELECT count(*) FROM entries WHERE feed = ?", (feed_id,)).fetchone()[0])


def _widen(seen: list[Any], rec: FeedRecord) -> None:
    """Merge a repeated entry of one import into its first row: widest dates, latest brand."""
    if rec.date and (not seen[6] or rec.date < seen[6]):
        seen[6] = rec.date
    if rec.date > seen[7]:
        seen[7] = rec.date
        if rec.brand:
            seen[5] = rec.brand
    elif rec.brand and not seen[5]:
        seen[5] = rec.brand
