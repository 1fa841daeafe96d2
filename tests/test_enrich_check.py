"""FEED_HIT: a mail whose link is in a phishing feed, named with the feed, its date and the
brand the feed gives; silent without enrichment."""

from __future__ import annotations

import importlib
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailsleuth.brands import BrandIndex
from mailsleuth.checks import REGISTRY, Hit, all_checks
from mailsleuth.enrich import Enricher, Enrichment, FeedStore
from mailsleuth.evidence import Evidence, gather
from mailsleuth.mime import parse_message

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "enrich"
SEED = ROOT / "examples" / "ekinet-account-deleted.eml"
MODULE = "mailsleuth.checks.enrichment"

# What the lead pastes into data/explanations.toml; tested here until then (see the report).
EXPLANATION = """
[FEED_HIT]
title_ja = "フィッシングサイトとして報告済みのリンク"
title_en = "Link listed as phishing"
ja = "リンク先 {host} は、フィッシング URL の一覧 {feed} に{target_ja}として掲載されています（{how_ja}、{date}）。"
en = "The link to {host} is listed by the phishing feed {feed} as {target_en} ({how_en}, listed {date})."
"""

CheckFn = Callable[[Evidence], Hit | None]


@pytest.fixture
def feed_hit() -> Iterator[CheckFn]:
    """The check function, leaving the registry as it found it (until the pipeline imports the
    module itself, other tests compare the registry with scores.toml)."""
    all_checks()
    wired = "FEED_HIT" in REGISTRY
    mod = importlib.import_module(MODULE)
    yield mod.feed_hit
    if not wired:
        REGISTRY.pop("FEED_HIT", None)
        sys.modules.pop(MODULE, None)
        pkg = sys.modules["mailsleuth.checks"]
        if hasattr(pkg, "enrichment"):
            delattr(pkg, "enrichment")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> FeedStore:
    s = FeedStore(tmp_path_factory.mktemp("feeds") / "feeds.sqlite")
    s.import_path(DATA / "jpcert")
    return s


def evidence(raw: bytes) -> Evidence:
    return gather(parse_message(raw), brand_index=BrandIndex.load(), countries=None)


def enriched(raw: bytes, store: FeedStore) -> Evidence:
    ev = evidence(raw)
    ev.enrichment = Enricher(feeds=store).enrich(ev.origin.ip if ev.origin else None, ev.links)  # type: ignore[attr-defined]
    return ev


def mail_with_link(url: str) -> bytes:
    return (f"From: Support <support@example.org>\nTo: ken@example.net\nSubject: Notice\n"
            f"Message-ID: <n1@example.org>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"
            f"Please check {url} today.\n").encode()


def test_seed_link_in_the_feed_fires_with_the_feeds_brand(feed_hit: CheckFn, store: FeedStore) -> None:
    ev = enriched(SEED.read_bytes(), store)
    hit = feed_hit(ev)
    assert hit is not None
    assert hit.confidence == 1.0
    assert hit.params["feed"] == "jpcert-phishurl"
    assert hit.params["brand"] == "えきねっと"
    assert hit.params["brand_en"] == BrandIndex.load().get("eki-net").name_en  # type: ignore[union-attr]
    assert hit.params["date"] == "2025-10-20"
    assert hit.params["matched_on"] == "url"
    assert "brand: えきねっと (eki-net)" in hit.evidence
    assert "feed: jpcert-phishurl" in hit.evidence and "listed: 2025-10-20T09:00:00" in hit.evidence


def test_domain_match_is_less_certain(feed_hit: CheckFn, store: FeedStore) -> None:
    hit = feed_hit(enriched(mail_with_link("https://login.lzdcw.cn/member"), store))
    assert hit is not None
    assert hit.confidence == 0.7
    assert hit.params["matched_on"] == "domain" and hit.params["value"] == "lzdcw.cn"
    assert hit.params["how_en"] == "another host of its domain lzdcw.cn"


def test_unmapped_brand_is_named_as_the_feed_gives_it(feed_hit: CheckFn, store: FeedStore) -> None:
    hit = feed_hit(enriched(mail_with_link("https://megaegg-support.example-phish.net/login"), store))
    assert hit is not None
    assert hit.params["brand"] == hit.params["brand_en"] == "MEGA EGG"
    assert hit.params["target_en"] == "a phishing site imitating MEGA EGG"
    assert "brand: MEGA EGG" in hit.evidence


def test_silent_without_enrichment_or_hits(feed_hit: CheckFn, store: FeedStore) -> None:
    assert feed_hit(evidence(SEED.read_bytes())) is None  # no enrichment attribute at all
    ev = evidence(SEED.read_bytes())
    ev.enrichment = None  # type: ignore[attr-defined]
    assert feed_hit(ev) is None
    ev.enrichment = Enrichment()  # type: ignore[attr-defined]
    assert feed_hit(ev) is None
    assert feed_hit(enriched(mail_with_link("https://www.example.com/minutes"), store)) is None
    assert feed_hit(enriched(mail_with_link("https://bit.ly/another"), store)) is None  # shortener


def test_explanation_names_every_parameter(feed_hit: CheckFn, store: FeedStore) -> None:
    hit = feed_hit(enriched(SEED.read_bytes(), store))
    assert hit is not None
    text = tomllib.loads(EXPLANATION)["FEED_HIT"]
    for lang in ("ja", "en"):
        out = text[lang].format_map(hit.params)
        assert "{" not in out and "www.eki-net-member.revapec.cn" in out
    assert text["ja"].format_map(hit.params) == (
        "リンク先 www.eki-net-member.revapec.cn は、フィッシング URL の一覧 jpcert-phishurl に"
        "えきねっとを装うフィッシングサイトとして掲載されています（同じ URL が掲載、2025-10-20）。")
    assert text["en"].format_map(hit.params) == (
        "The link to www.eki-net-member.revapec.cn is listed by the phishing feed jpcert-phishurl as "
        "a phishing site imitating Eki-Net (JR East) (the same URL, listed 2025-10-20).")
