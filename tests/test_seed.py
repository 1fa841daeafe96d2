"""The seed case end to end: what a careful analyst reports about the えきねっと mail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import mailsleuth

ROOT = Path(__file__).resolve().parents[1]


def _ids(report: dict[str, Any]) -> set[str]:
    return {f["id"] for f in report["findings"]}


def _check_seed(out: dict[str, Any], helo_ip: str = "114.230.236.207") -> None:
    assert out["verdict"] == "phishing"
    assert out["brand"]["id"] == "eki-net"
    assert out["brand"]["name"] == "えきねっと"
    assert "eki-net.com" in out["brand"]["official_domains"]
    assert out["brand"]["role"] == "impersonated"
    assert out["sender"]["domain"] == "faxohbr.cn"
    assert out["sender"]["display_name"] == "えきねっと"
    assert out["origin"]["ip"] == helo_ip
    assert out["origin"]["helo"] == "amazon.server.co.jp"
    assert out["origin"]["rdns"] is None
    assert out["origin"]["country"] == "CN"
    ids = _ids(out)
    assert {"FORGED_HELO", "DISPLAY_NAME_BRAND_MISMATCH", "LINK_BRAND_IN_FOREIGN_DOMAIN", "SPAM_STAMP",
            "ORIGIN_FAR_FROM_BRAND"} <= ids
    link = next(x for x in out["links"] if x["host"] == "www.eki-net-member.revapec.cn")
    assert link["registrable_domain"] == "revapec.cn"
    assert out["spam_stamps"][0] == "[spam]"
    assert out["subject"] == "【重要】アカウント削除(退会)完了のお知らせ【えきねっと】"
    for f in out["findings"]:
        assert f["explanation"]["ja"] and f["explanation"]["en"], f["id"]
        assert "{" not in f["explanation"]["ja"] + f["explanation"]["en"], f["id"]
        assert "?" not in f["explanation"]["ja"].replace("？", ""), f"unfilled value in {f['id']}"
    name = next(f for f in out["findings"] if f["id"] == "DISPLAY_NAME_BRAND_MISMATCH")
    assert "faxohbr.cn" in name["explanation"]["ja"] and "eki-net.com" in name["explanation"]["ja"]
    helo = next(f for f in out["findings"] if f["id"] == "FORGED_HELO")
    assert "amazon.server.co.jp" in helo["explanation"]["en"]
    assert "ブックマーク" in out["advice"]["ja"] and "bookmark" in out["advice"]["en"]


def test_example_seed_mail() -> None:
    data = (ROOT / "examples" / "ekinet-account-deleted.eml").read_bytes()
    _check_seed(mailsleuth.analyze(data).to_dict())


def test_shared_seed_case(shared: Path) -> None:
    data = (shared / "cases" / "ekinet-account-deleted.eml").read_bytes()
    _check_seed(mailsleuth.analyze(data).to_dict())


def test_clean_example_is_clean() -> None:
    out = mailsleuth.analyze((ROOT / "examples" / "colleague-clean.eml").read_bytes()).to_dict()
    assert out["verdict"] == "clean", out["findings"]
    assert out["brand"] is None


def test_lookalike_example() -> None:
    out = mailsleuth.analyze((ROOT / "examples" / "amazon-lookalike.eml").read_bytes()).to_dict()
    assert out["verdict"] == "phishing"
    assert out["brand"]["id"] == "amazon"
    assert {"SENDER_LOOKALIKE_DOMAIN", "ANCHOR_TEXT_URL_MISMATCH"} <= _ids(out)


@pytest.mark.parametrize("name", ["ekinet-account-deleted.eml", "amazon-lookalike.eml", "colleague-clean.eml"])
def test_public_api_is_typed_and_flat(name: str) -> None:
    report = mailsleuth.analyze((ROOT / "examples" / name).read_bytes())
    assert isinstance(report, mailsleuth.Report)
    assert set(mailsleuth.__all__) >= {"analyze", "Report", "Finding"}
