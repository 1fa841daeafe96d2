"""Downloading feeds - the only part of enrichment that goes online, and only when the user
runs ``mailsleuth feeds update`` (analysis never calls it).

Each source is fetched with the standard library (``urllib``) into a temporary file named
after the URL's last path segment, so that format detection sees ``feed.txt`` or
``202510.csv`` as it would for a manual download, then imported like any file. A failed
download is reported and the others go on.
"""

from __future__ import annotations

import shutil
import tempfile
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from .. import __version__
from .feedformats import Format
from .feedstore import FeedStore, ImportResult

MAX_BYTES = 256 * 1024 * 1024
TIMEOUT = 60.0
JPCERT_RAW = "https://raw.githubusercontent.com/JPCERTCC/phishurl-list/main/{year}/{year}{month:02d}.csv"
OPENPHISH_URL = "https://openphish.com/feed.txt"


@dataclass(frozen=True, slots=True)
class FeedSource:
    name: str  # feed name in the store
    url: str
    fmt: Format | None = None  # None: detect from the downloaded file


@dataclass(frozen=True, slots=True)
class UpdateOutcome:
    source: FeedSource
    result: ImportResult | None
    error: str = ""


def jpcert_month(year: int, month: int) -> FeedSource:
    return FeedSource("jpcert-phishurl", JPCERT_RAW.format(year=year, month=month), "jpcert")


def default_sources(today: date | None = None) -> list[FeedSource]:
    """OpenPhish's community feed and JPCERT/CC's files of this and last month (JPCERT/CC
    publishes a month's file during that month and completes it after)."""
    d = today or date.today()
    prev = (d.year - 1, 12) if d.month == 1 else (d.year, d.month - 1)
    return [FeedSource("openphish", OPENPHISH_URL, "openphish"), jpcert_month(*prev), jpcert_month(d.year, d.month)]


def fetch(url: str, dest: Path, *, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES) -> Path:
    """Download ``url`` to ``dest`` (http/https only, at most ``max_bytes``)."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url}")
    req = urllib.request.Request(url, headers={"User-Agent": f"mailsleuth/{__version__} (feed update)"})
    with urllib.request.urlopen(req, timeout=timeout) as resp, dest.open("wb") as out:
        copied = 0
        while chunk := resp.read(1 << 16):
            copied += len(chunk)
            if copied > max_bytes:
                raise ValueError(f"{url} is larger than {max_bytes} bytes")
            out.write(chunk)
    return dest


def update_feeds(store: FeedStore, sources: Sequence[FeedSource] | None = None, *, timeout: float = TIMEOUT,
                 fetcher: Callable[..., Path] = fetch) -> list[UpdateOutcome]:
    """Download each source and import it into ``store``; one outcome per source."""
    outcomes = []
    workdir = Path(tempfile.mkdtemp(prefix="mailsleuth-feeds-"))
    try:
        for src in sources if sources is not None else default_sources():
            name = Path(urlsplit(src.url).path).name or "feed.txt"
            dest = workdir / name
            try:
                fetcher(src.url, dest, timeout=timeout)
                result = store.import_file(dest, feed=src.name, fmt=src.fmt)
            except Exception as exc:  # one failed source must not stop the others
                outcomes.append(UpdateOutcome(src, None, f"{type(exc).__name__}: {exc}"))
                continue
            outcomes.append(UpdateOutcome(src, result))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return outcomes
