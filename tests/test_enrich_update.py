"""``feeds update`` downloads only when called: here against a local server on 127.0.0.1
serving the fixture files (nothing else is contacted)."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from mailsleuth.enrich import FeedStore
from mailsleuth.enrich.feedupdate import FeedSource, default_sources, fetch, update_feeds

DATA = Path(__file__).resolve().parent / "data" / "enrich"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(DATA)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_update_downloads_and_imports(server: str, tmp_path: Path) -> None:
    store = FeedStore(tmp_path / "feeds.sqlite")
    sources = [FeedSource("openphish", f"{server}/openphish-feed.txt", "openphish"),
               FeedSource("jpcert-phishurl", f"{server}/jpcert/2025/202510.csv"),
               FeedSource("gone", f"{server}/missing.txt")]
    out = update_feeds(store, sources, timeout=10)
    assert [(o.source.name, o.result.total if o.result else None) for o in out] == [
        ("openphish", 3), ("jpcert-phishurl", 8), ("gone", None)]
    assert out[1].result is not None and out[1].result.format == "jpcert"  # detected from the download
    assert "404" in out[2].error
    hits = store.lookup("https://www.eki-net-member.revapec.cn/", "www.eki-net-member.revapec.cn", "revapec.cn")
    assert hits[0].source.endswith("202510.csv")


def test_fetch_refuses_other_schemes_and_oversized_files(server: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not an http"):
        fetch("file:///etc/passwd", tmp_path / "x")
    with pytest.raises(ValueError, match="larger than"):
        fetch(f"{server}/blocklist.txt", tmp_path / "x", max_bytes=10)


def test_default_sources() -> None:
    urls = [s.url for s in default_sources(date(2026, 1, 15))]
    assert urls == ["https://openphish.com/feed.txt",
                    "https://raw.githubusercontent.com/JPCERTCC/phishurl-list/main/2025/202512.csv",
                    "https://raw.githubusercontent.com/JPCERTCC/phishurl-list/main/2026/202601.csv"]
