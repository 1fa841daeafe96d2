"""A stored report renders later as it was stored: the answers its analysis got are kept with it
and replayed, so a feed update between the upload and the rendering does not change the verdict;
a table written before that column existed is brought up to date and its rows still render."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the 'web' extra is not installed (pip install 'mailsleuth[web]')")

import httpx

from mailsleuth.enrich import FeedStore
from mailsleuth.web.store import Store
from mailsleuth.web.testing import running_server

ROOT = Path(__file__).resolve().parents[1]
SEED = (ROOT / "examples" / "ekinet-account-deleted.eml").read_bytes()
RFC822 = {"Content-Type": "message/rfc822"}


def _findings(client: httpx.Client, rid: str) -> set[str]:
    return {f["id"] for f in client.get(f"/api/v1/reports/{rid}").json()["findings"]}


def test_feed_change_does_not_change_a_stored_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text("www.eki-net-member.revapec.cn\n", encoding="utf-8")
    feeds = tmp_path / "feeds.sqlite"
    FeedStore(feeds).import_path(listing, feed="local-list")
    db = f"sqlite:///{tmp_path / 'web.sqlite'}"

    monkeypatch.setenv("MAILSLEUTH_FEEDS", str(feeds))
    with running_server(db) as url, httpx.Client(base_url=url, trust_env=False, timeout=60) as client:
        rid = client.post("/api/v1/analyze", content=SEED, headers=RFC822).json()["id"]
        assert "FEED_HIT" in _findings(client, rid)

    # The same history served without that feed: fresh uploads no longer see it, the stored report does.
    monkeypatch.setenv("MAILSLEUTH_FEEDS", str(tmp_path / "no-feeds.sqlite"))
    with running_server(db) as url, httpx.Client(base_url=url, trust_env=False, timeout=60) as client:
        fresh = client.post("/api/v1/analyze", content=SEED, headers=RFC822).json()
        assert "FEED_HIT" not in {f["id"] for f in fresh["findings"]}
        md = client.get(f"/api/v1/reports/{rid}", params={"format": "md", "lang": "en"}).text
        assert "Link listed as phishing" in md and "local-list" in md
        md_fresh = client.get(f"/api/v1/reports/{fresh['id']}", params={"format": "md", "lang": "en"}).text
        assert "Link listed as phishing" not in md_fresh


def test_table_of_an_older_version_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "web.sqlite"
    old = Store(f"sqlite:///{path}")
    old_row = old.add({"verdict": "phishing", "score": 9.0, "subject": "old"}, SEED)
    old.close()
    with sqlite3.connect(path) as conn:  # the table as the version before stored answers made it
        conn.execute("ALTER TABLE mailsleuth_reports DROP COLUMN answers_json")

    store = Store(f"sqlite:///{path}")
    got = store.get(old_row.id)
    assert got is not None and got.answers is None and got.raw == SEED
    new = store.add({"verdict": "clean", "score": 0.0}, b"x", {"analysed_at": "2026-01-01T00:00:00Z",
                                                              "options": {}, "answers": []})
    assert store.get(new.id).answers == {"analysed_at": "2026-01-01T00:00:00Z", "options": {}, "answers": []}
    store.close()
    Store(f"sqlite:///{path}").close()  # opening an up-to-date table again changes nothing

    # a row without answers is analysed again when rendered
    with running_server(f"sqlite:///{path}") as url, httpx.Client(base_url=url, trust_env=False, timeout=60) as c:
        md = c.get(f"/api/v1/reports/{old_row.id}", params={"format": "md", "lang": "ja"})
        assert md.status_code == 200 and "えきねっと" in md.text
