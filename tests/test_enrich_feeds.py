"""The local feed store: importing JPCERT/CC, PhishTank, OpenPhish and plain lists, matching a
link by URL, host and registrable domain, never matching a shared platform as a whole,
idempotent imports, and a store that survives reopening."""

from __future__ import annotations

import argparse
import csv
import gzip
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from mailsleuth.enrich import Enricher, FeedStore, ProviderUnavailable, default_store_path
from mailsleuth.enrich.cli import add_feeds_parser
from mailsleuth.enrich.feedformats import detect, jpcert_date
from mailsleuth.enrich.feedkeys import split_entry, url_key
from mailsleuth.models import Link
from mailsleuth.urls import make_link

DATA = Path(__file__).resolve().parent / "data" / "enrich"
JPCERT_SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "feeds" / "jpcert-phishurl"
SEED_URL = "https://www.eki-net-member.revapec.cn/"


@pytest.fixture
def store(tmp_path: Path) -> FeedStore:
    s = FeedStore(tmp_path / "feeds.sqlite")
    s.import_path(DATA / "jpcert")
    return s


def look(store: FeedStore, url: str) -> list[tuple[str, str, str, str | None]]:
    link = make_link(url, "", "href")
    assert link is not None
    return [(h.feed, h.matched_on, h.brand, h.brand_id)
            for h in store.lookup(link.url, link.host, link.registrable_domain)]


def rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT * FROM entries ORDER BY key").fetchall()


# --------------------------------------------------------------------------- keys
@pytest.mark.parametrize(("raw", "key"), [
    ("https://Example.COM/Login/", "example.com/Login"),
    ("http://example.com", "example.com"),
    ("hhttps://anazom.co.ip.jmwnzh.shop/a.php?x=*", "anazom.co.ip.jmwnzh.shop/a.php?x=*"),
    ("\u3000https://example.com:8443/a#frag", "example.com/a"),
    ("https://user@evil[.]example.org/p", "evil.example.org/p"),
])
def test_url_keys(raw: str, key: str) -> None:
    assert url_key(raw) == key


def test_bare_hosts_and_unusable_lines() -> None:
    found = split_entry("bad-domain.example-phish.org")
    assert found is not None and found.key == "h:bad-domain.example-phish.org"
    assert found.domain == "example-phish.org"
    assert split_entry("x.github.io") is not None and split_entry("x.github.io").domain == "x.github.io"  # type: ignore[union-attr]
    for bad in ("", "# comment", "not a host", "https:///nohost", "localhost"):
        assert split_entry(bad) is None, bad


def test_jpcert_dates() -> None:
    assert jpcert_date("2019/01/04 10:12:00") == "2019-01-04T10:12:00"
    assert jpcert_date("2019/1/4") == "2019-01-04"
    assert jpcert_date(" ", "2023-10") == "2023-10"


# --------------------------------------------------------------------------- import
def test_import_a_jpcert_directory(tmp_path: Path) -> None:
    s = FeedStore(tmp_path / "feeds.sqlite")
    (res,) = s.import_path(DATA / "jpcert")  # the README.md files are not read
    assert (res.feed, res.format, res.files, res.rows, res.unusable) == ("jpcert-phishurl", "jpcert", 3, 12, 0)
    assert res.added == res.total == 10  # the seed link is listed in http and https, and in two months
    (info,) = s.feeds()
    assert info.name == "jpcert-phishurl" and info.entries == 10
    assert info.first == "2019-06-07T09:26:00" and info.last == "2025-10-22T11:00:00"
    assert "JPCERT/CC" in info.licence


def test_import_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "feeds.sqlite"
    s = FeedStore(path)
    s.import_path(DATA / "jpcert")
    s.import_path(DATA / "phishtank" / "online-valid.csv")
    before = rows(path)
    again = s.import_path(DATA / "jpcert") + s.import_path(DATA / "phishtank" / "online-valid.csv")
    assert [r.added for r in again] == [0, 0]
    assert rows(path) == before


def test_store_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "feeds.sqlite"
    with FeedStore(path) as s:
        s.import_path(DATA / "jpcert")
    reopened = FeedStore(path, readonly=True)
    assert look(reopened, SEED_URL)[0][:2] == ("jpcert-phishurl", "url")
    with pytest.raises(ValueError, match="read-only"):
        reopened.import_path(DATA / "jpcert")
    reopened.close()


def test_missing_store_is_unavailable_not_created(tmp_path: Path) -> None:
    path = tmp_path / "none.sqlite"
    s = FeedStore(path, readonly=True)
    with pytest.raises(ProviderUnavailable, match="no feed store"):
        s.lookup(SEED_URL, "www.eki-net-member.revapec.cn", "revapec.cn")
    assert not path.exists()
    link = Link(SEED_URL, "www.eki-net-member.revapec.cn", "revapec.cn", "", "href")
    enr = Enricher(feeds=FeedStore(path, readonly=True)).enrich(None, [link, link])
    assert enr.links == ()
    assert [s.provider for s in enr.skipped] == ["feeds:sqlite"]
    assert "mailsleuth feeds import" in enr.skipped[0].reason


def test_default_store_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MAILSLEUTH_FEEDS", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_store_path() == tmp_path / "mailsleuth" / "feeds.sqlite"
    monkeypatch.setenv("MAILSLEUTH_FEEDS", str(tmp_path / "x.sqlite"))
    assert default_store_path() == tmp_path / "x.sqlite"


# --------------------------------------------------------------------------- matching
def test_match_by_url_host_and_domain(store: FeedStore) -> None:
    jp = "jpcert-phishurl"
    assert look(store, "http://eki-piacrosssive.lzdcw.cn/Perosnal_member") == [(jp, "url", "えきねっと", "eki-net")]
    assert look(store, "https://eki-piacrosssive.lzdcw.cn/other") == [(jp, "host", "えきねっと", "eki-net")]
    assert look(store, "https://another.lzdcw.cn/") == [(jp, "domain", "えきねっと", "eki-net")]
    assert look(store, "https://anazom.co.ip.jmwnzh.shop/dR3snx1C.php?hog83=*")[0][:2] == (jp, "url")
    assert look(store, "https://www.example.com/") == []


def test_hit_names_feed_date_and_brand(store: FeedStore) -> None:
    (hit,) = store.lookup(SEED_URL, "www.eki-net-member.revapec.cn", "revapec.cn")
    assert (hit.feed, hit.matched_on, hit.value, hit.brand, hit.brand_id) == (
        "jpcert-phishurl", "url", SEED_URL, "えきねっと", "eki-net")
    assert hit.date == "2025-10-20T09:00:00"  # the latest listing; the first was 2023-10-05
    assert hit.source.endswith("jpcert") and hit.imported_at
    (undated,) = store.lookup("https://accout.smba.jp.ggdnjtf.cn/", "accout.smba.jp.ggdnjtf.cn", "ggdnjtf.cn")
    assert undated.date == "2023-10" and undated.brand_id == "smbc-card"  # month of the file name
    with sqlite3.connect(store.path) as conn:
        first, last = conn.execute("SELECT first_seen, last_seen FROM entries WHERE host = ?",
                                   ("www.eki-net-member.revapec.cn",)).fetchone()
    assert (first, last) == ("2023-10-05T08:30:00", "2025-10-20T09:00:00")


def test_brands_map_to_our_ids_where_they_can(store: FeedStore) -> None:
    assert look(store, "https://my.tscubic-furtel.xhuie.cn/account/login/")[0][3] == "ts-cubic"
    assert look(store, "https://megaegg-support.example-phish.net/login")[0][2:] == ("MEGA EGG", None)


def test_shared_platforms_are_matched_by_url_only(store: FeedStore) -> None:
    # a URL shortener: the listed short link is phishing, the shortener is not
    assert look(store, "https://bit.ly/2Z8r2s8")[0][:3] == ("jpcert-phishurl", "url", "au")
    assert look(store, "https://bit.ly/3abcdef") == []
    # a page under sites.google.com lists neither sites.google.com nor google.com
    assert look(store, "https://sites.google.com/view/ekinet-login-jp")[0][1] == "url"
    assert look(store, "https://sites.google.com/view/our-school") == []
    assert look(store, "https://www.google.com/") == []
    # github.io is a public suffix: evil-login.github.io is its own registrable domain
    assert look(store, "https://evil-login.github.io/other")[0][1] == "host"
    assert look(store, "https://someone-else.github.io/") == []


def test_open_redirects_are_matched_by_url_only(store: FeedStore) -> None:
    listed = ("http://brandequity.economictimes.indiatimes.com/etl.php?url=http://XXGG6LHKc0f7Xa3x-7WVJFB3I38LhZGFr."
              "equilibriodigital.com.do")
    assert look(store, listed) == [("jpcert-phishurl", "url", "BIGLOBE", "biglobe")]
    assert look(store, "http://brandequity.economictimes.indiatimes.com/news/latest") == []
    assert look(store, "http://timesofindia.indiatimes.com/articleshow.asp?art_id=18672487") == []
    assert split_entry(listed) is not None and split_entry(listed).redirect  # type: ignore[union-attr]
    assert not split_entry("https://example.com/login?next=/home").redirect  # type: ignore[union-attr]


def test_phishtank_csv_json_and_gzip(tmp_path: Path) -> None:
    s = FeedStore(tmp_path / "feeds.sqlite")
    (csv_res,) = s.import_path(DATA / "phishtank" / "online-valid.csv")
    assert (csv_res.feed, csv_res.format, csv_res.rows) == ("phishtank", "phishtank-csv", 3)
    gz = tmp_path / "online-valid.json.gz"
    with (DATA / "phishtank" / "online-valid.json").open("rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert detect(gz) == "phishtank-json"
    (json_res,) = s.import_path(gz)
    assert (json_res.feed, json_res.rows, json_res.total) == ("phishtank", 2, 5)
    (hit,) = s.lookup("https://paypal.com.signin-verify.example-phish.top/webapps/mpp/",
                      "paypal.com.signin-verify.example-phish.top", "example-phish.top")
    assert (hit.brand, hit.brand_id, hit.date) == ("PayPal", "paypal", "2025-10-30T04:20:01+00:00")
    assert look(s, "http://login-microsoftonline.example-phish.xyz/common/oauth2")[0][2:] == ("", None)  # "Other"
    assert look(s, "https://appleid.apple.com.verify-account.example-phish.icu/")[0][3] == "apple"


def test_one_hit_per_feed_strongest_first(store: FeedStore) -> None:
    store.import_path(DATA / "phishtank" / "online-valid.csv")
    hits = store.lookup(SEED_URL, "www.eki-net-member.revapec.cn", "revapec.cn")
    assert [(h.feed, h.matched_on) for h in hits] == [("jpcert-phishurl", "url"), ("phishtank", "host")]


def test_openphish_and_plain_lists(tmp_path: Path) -> None:
    s = FeedStore(tmp_path / "feeds.sqlite")
    (op,) = s.import_path(DATA / "openphish-feed.txt")
    assert (op.feed, op.format, op.rows) == ("openphish", "openphish", 3)
    assert look(s, "https://secure-update.example-phish.shop/amazon/signin")[0][:2] == ("openphish", "url")
    # docs.google.com is a free file host: only the listed form matches
    assert look(s, "https://docs.google.com/forms/d/e/1FAIpQLSf-example-phish/viewform")[0][1] == "url"
    assert look(s, "https://docs.google.com/document/d/abc/edit") == []
    # an address as host: matched by host, never by domain
    assert look(s, "http://203.0.113.77/other")[0][1] == "host"
    (hit,) = s.lookup("http://203.0.113.77/x", "203.0.113.77", "")
    assert hit.date == time.strftime("%Y-%m-%d", time.gmtime((DATA / "openphish-feed.txt").stat().st_mtime))

    (bl,) = s.import_path(DATA / "blocklist.txt")
    assert (bl.feed, bl.format, bl.rows, bl.total) == ("blocklist", "list", 4, 4)
    assert look(s, "https://bad-domain.example-phish.org/login")[0][:2] == ("blocklist", "host")
    assert look(s, "https://evil.example-phish.biz/")[0][:2] == ("blocklist", "host")  # defanged in the list
    assert look(s, "https://phish.example-phish.info/path")[0][:2] == ("blocklist", "url")
    assert look(s, "https://bit.ly/anything") == []  # a shortener listed whole is never matched whole


def test_enricher_lists_links_with_hits(store: FeedStore) -> None:
    links = [Link("https://www.example.com/", "www.example.com", "example.com", "", "href"),
             Link(SEED_URL, "www.eki-net-member.revapec.cn", "revapec.cn", "", "href"),
             Link("https://another.lzdcw.cn/a.png", "another.lzdcw.cn", "lzdcw.cn", "", "img")]
    enr = Enricher(feeds=store).enrich(None, links)
    assert [link.url for link in enr.links] == [SEED_URL]  # images are loaded, not clicked
    out = enr.to_dict()
    assert out["links"][0]["feed_hits"][0]["brand"] == "えきねっと"
    assert out["origin"] == {"ip": None, "geo": None, "asn": None}
    assert out["providers"] == ["feeds:sqlite"]


def test_cli_import_list_lookup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="mailsleuth")
    add_feeds_parser(parser.add_subparsers(dest="command", required=True))
    db = str(tmp_path / "feeds.sqlite")

    def run(*argv: str) -> int:
        args = parser.parse_args(list(argv))
        return int(args.func(args))

    assert run("feeds", "import", str(DATA / "jpcert"), str(DATA / "blocklist.txt"), "--feeds", db) == 0
    assert "jpcert-phishurl: 12 rows from 3 file(s)" in capsys.readouterr().out
    assert run("feeds", "list", "--feeds", db) == 0
    listed = capsys.readouterr().out
    assert "jpcert-phishurl\t10 entries\t2019-06-07 .. 2025-10-22" in listed and "blocklist\t4 entries" in listed
    assert run("feeds", "lookup", SEED_URL, "--feeds", db) == 0
    assert '"matched_on": "url"' in capsys.readouterr().out
    assert run("feeds", "lookup", "https://www.example.com/", "--feeds", db) == 1
    assert run("feeds", "import", str(tmp_path / "missing.csv"), "--feeds", db) == 3
    assert run("feeds", "list", "--feeds", str(tmp_path / "none.sqlite")) == 3


# --------------------------------------------------------------------------- the real JPCERT/CC files
@pytest.fixture(scope="module")
def jpcert_shared() -> Path:
    if not JPCERT_SHARED.is_dir():
        pytest.skip("../shared/feeds/jpcert-phishurl is not beside the repository")
    return JPCERT_SHARED


def test_every_real_jpcert_file_is_detected(jpcert_shared: Path) -> None:
    files = sorted(jpcert_shared.rglob("*.csv"))
    assert len(files) >= 80
    assert {detect(f) for f in files} == {"jpcert"}


def test_import_a_slice_of_the_real_jpcert_list(jpcert_shared: Path, tmp_path: Path) -> None:
    with (jpcert_shared / "2025" / "202510.csv").open(encoding="utf-8", newline="") as fh:
        head = [row for _, row in zip(range(301), csv.reader(fh), strict=False)]
    sliced = tmp_path / "2025" / "202510.csv"
    sliced.parent.mkdir()
    with sliced.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(head)
    s = FeedStore(tmp_path / "feeds.sqlite")
    (res,) = s.import_path(tmp_path / "2025")
    assert (res.feed, res.rows, res.unusable) == ("jpcert-phishurl", 300, 0)
    date, url, brand = head[-1]
    link = make_link(url, "", "href")
    assert link is not None
    hits = s.lookup(link.url, link.host, link.registrable_domain)
    assert hits[0].matched_on == "url" and hits[0].brand == brand
    assert hits[0].date == jpcert_date(date)


def test_import_a_real_year_quickly(jpcert_shared: Path, tmp_path: Path) -> None:
    s = FeedStore(tmp_path / "feeds.sqlite")
    start = time.perf_counter()
    (res,) = s.import_path(jpcert_shared / "2025")
    seconds = time.perf_counter() - start
    assert res.rows > 30_000 and res.unusable < 10
    assert seconds < 30, f"{res.rows} rows took {seconds:.1f} s"
    (again,) = s.import_path(jpcert_shared / "2025")
    assert again.added == 0 and again.total == res.total
