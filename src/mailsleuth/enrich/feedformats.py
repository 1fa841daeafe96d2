"""Readers for the phishing feeds the store imports, one function per format.

* **JPCERT/CC phishurl-list**: monthly CSV files ``YYYY/YYYYMM.csv`` with the header
  ``date,URL,description``; ``date`` is ``YYYY/MM/DD hh:mm:ss`` as JPCERT/CC confirmed the
  site, ``description`` the impersonated brand ("えきねっと", "Apple ID"). A few rows have no
  date; they get the month of their file name.
* **PhishTank** database dumps: ``online-valid.csv`` (header ``phish_id,url,
  phish_detail_url,submission_time,verified,verification_time,online,target``) and
  ``online-valid.json`` (a list of objects with the same keys and a ``details`` list);
  ``target`` is the brand, "Other" when none.
* **OpenPhish** community feed ``feed.txt``: one URL a line, no date and no brand.
* **Plain lists**: one URL or host name a line, ``#`` comments.

Undated lines (OpenPhish, plain lists) take the file's modification date: when the list
was fetched is the best date they have. Gzip and bzip2 files (``.gz``, ``.bz2``, as
PhishTank serves them) are read transparently.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

Format = Literal["jpcert", "phishtank-csv", "phishtank-json", "openphish", "list"]

FEED_NAMES: dict[str, str] = {"jpcert": "jpcert-phishurl", "phishtank-csv": "phishtank",
                              "phishtank-json": "phishtank", "openphish": "openphish"}
LICENCES: dict[str, str] = {
    "jpcert-phishurl": "JPCERT/CC phishurl-list (https://github.com/JPCERTCC/phishurl-list), see its terms",
    "phishtank": "PhishTank data (Cisco Talos), see https://phishtank.org terms of use",
    "openphish": "OpenPhish community feed, see https://openphish.com terms of use",
}
FEED_SUFFIXES = (".csv", ".txt", ".json", ".lst", ".list")
_JP_DATE_RE = re.compile(r"^\s*(\d{4})/(\d{1,2})/(\d{1,2})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_MONTH_FILE_RE = re.compile(r"(20\d{2})(\d{2})")


@dataclass(frozen=True, slots=True)
class FeedRecord:
    url: str  # a URL or a bare host name, as the feed wrote it
    date: str  # ISO 8601, "" when unknown
    brand: str  # impersonated brand as the feed names it, "" when unknown


def is_feed_file(path: Path) -> bool:
    """A file a directory import reads (data files, not READMEs or hidden files)."""
    name = path.name.lower()
    for comp in (".gz", ".bz2"):
        name = name.removesuffix(comp)
    return not path.name.startswith(".") and name.endswith(FEED_SUFFIXES) and not name.startswith("readme")


def open_text(path: Path) -> IO[str]:
    """``path`` opened for reading text (UTF-8, BOM removed), decompressing .gz/.bz2."""
    name = path.name.lower()
    if name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", errors="replace", newline="")
    if name.endswith(".bz2"):
        return io.TextIOWrapper(bz2.open(path, "rb"), encoding="utf-8-sig", errors="replace", newline="")
    return path.open(encoding="utf-8-sig", errors="replace", newline="")


def detect(path: Path) -> Format:
    """The format of a feed file, from its first bytes (and its name for OpenPhish)."""
    with open_text(path) as fh:
        head = fh.read(4096)
    first = head.lstrip().split("\n", 1)[0].strip().lower()
    if head.lstrip().startswith(("[", "{")):
        return "phishtank-json"
    if first.replace(" ", "").startswith("date,url,description"):
        return "jpcert"
    if first.startswith("phish_id,"):
        return "phishtank-csv"
    if "openphish" in path.name.lower() or path.name.lower() in ("feed.txt", "feed.txt.gz"):
        return "openphish"
    return "list"


def file_date(path: Path) -> str:
    """Modification date of ``path`` (UTC, ISO): the date of an undated list."""
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).date().isoformat()


def read(path: Path, fmt: Format) -> Iterator[FeedRecord]:
    """The records of one file in format ``fmt``."""
    if fmt == "jpcert":
        yield from read_jpcert(path)
    elif fmt == "phishtank-csv":
        yield from read_phishtank_csv(path)
    elif fmt == "phishtank-json":
        yield from read_phishtank_json(path)
    else:
        yield from read_lines(path)


def jpcert_date(value: str, fallback: str = "") -> str:
    """``2019/01/04 10:12:00`` -> ``2019-01-04T10:12:00`` (the time as JPCERT/CC wrote it)."""
    m = _JP_DATE_RE.match(value)
    if not m:
        return fallback
    y, mo, d, h, mi, s = m.groups()
    date = f"{y}-{int(mo):02d}-{int(d):02d}"
    return f"{date}T{int(h):02d}:{mi}:{s or '00'}" if h else date


def read_jpcert(path: Path) -> Iterator[FeedRecord]:
    m = _MONTH_FILE_RE.search(path.name)
    fallback = f"{m.group(1)}-{m.group(2)}" if m else file_date(path)
    with open_text(path) as fh:
        rows = csv.reader(fh)
        next(rows, None)
        for row in rows:
            if len(row) >= 2 and row[1].strip():
                brand = row[2].strip() if len(row) > 2 else ""
                yield FeedRecord(url=row[1], date=jpcert_date(row[0], fallback), brand=brand)


def _phishtank_brand(target: Any) -> str:
    brand = str(target or "").strip()
    return "" if brand.lower() in ("", "other") else brand


def read_phishtank_csv(path: Path) -> Iterator[FeedRecord]:
    with open_text(path) as fh:
        for row in csv.DictReader(fh):
            url = (row.get("url") or "").strip()
            if url:
                date = row.get("verification_time") or row.get("submission_time") or ""
                yield FeedRecord(url=url, date=date.strip(), brand=_phishtank_brand(row.get("target")))


def read_phishtank_json(path: Path) -> Iterator[FeedRecord]:
    with open_text(path) as fh:
        doc = json.load(fh)
    items: Any = doc
    if isinstance(doc, dict):  # a wrapped dump: {"phishes": [...]} or {"data": [...]}
        items = doc.get("phishes") or doc.get("data") or []
    if not isinstance(items, list):
        return
    for item in items:
        if isinstance(item, dict) and item.get("url"):
            date = str(item.get("verification_time") or item.get("submission_time") or "")
            yield FeedRecord(url=str(item["url"]), date=date, brand=_phishtank_brand(item.get("target")))


def read_lines(path: Path) -> Iterator[FeedRecord]:
    date = file_date(path)
    with open_text(path) as fh:
        for line in fh:
            entry = line.split(" #", 1)[0].strip()
            if entry and not entry.startswith("#"):
                yield FeedRecord(url=entry, date=date, brand="")
