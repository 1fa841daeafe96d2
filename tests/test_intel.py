"""STIX 2.1 bundles and MISP events from reports: golden files, the libraries' own parsers,
which values become indicators, determinism and privacy.

Regenerate the golden files after an intended change with:
    MAILSLEUTH_UPDATE_GOLDEN=1 pytest tests/test_intel.py
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest

import mailsleuth
from conftest import compare_golden
from mailsleuth import intel
from mailsleuth.intel import render_intel, to_misp_event, to_stix_bundle
from mailsleuth.models import Finding, Hop, Link
from mailsleuth.report import Report

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden" / "intel"
SEED = "ekinet-account-deleted"
CREATED = dt.datetime(2022, 3, 25, 6, 0, tzinfo=dt.UTC)
PHISHING_URL = "https://www.eki-net-member.revapec.cn/"
RECIPIENT = "reader@example.net"

stix2 = pytest.importorskip("stix2", reason="the 'intel' extra (stix2) is not installed")
pymisp = pytest.importorskip("pymisp", reason="the 'intel' extra (pymisp) is not installed")


def _raw(case: str) -> bytes:
    return (ROOT / "examples" / f"{case}.eml").read_bytes()


def _report(case: str) -> Report:
    return mailsleuth.analyze(_raw(case))


def _stix(case: str, **kw: Any) -> dict[str, Any]:
    return dict(json.loads(to_stix_bundle(_report(case), raw_message=_raw(case), **kw)))


def _misp(case: str, **kw: Any) -> dict[str, Any]:
    return dict(json.loads(to_misp_event(_report(case), raw_message=_raw(case), **kw)))


def _of_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [o for o in bundle["objects"] if o["type"] == kind]


def _misp_attributes(event: dict[str, Any]) -> list[dict[str, Any]]:
    return [*event.get("Attribute", []), *(a for o in event.get("Object", []) for a in o["Attribute"])]


# ----------------------------------------------------------------------------------- golden files
def test_stix_golden() -> None:
    text = to_stix_bundle(_report(SEED), raw_message=_raw(SEED), created=CREATED)
    compare_golden(GOLDEN / f"{SEED}.stix.json", text + "\n")


def test_misp_golden() -> None:
    text = to_misp_event(_report(SEED), raw_message=_raw(SEED), date=CREATED.date())
    compare_golden(GOLDEN / f"{SEED}.misp.json", text + "\n")


# --------------------------------------------------------------------------- the libraries' parsers
@pytest.mark.parametrize("case", ["ekinet-account-deleted", "amazon-lookalike", "colleague-clean"])
def test_stix_parses_with_stix2(case: str) -> None:
    text = to_stix_bundle(_report(case), raw_message=_raw(case), created=CREATED)
    bundle = stix2.parse(text, allow_custom=True)
    assert json.loads(bundle.serialize()) == json.loads(text)
    for obj in bundle.objects:
        assert obj["spec_version"] == "2.1"


@pytest.mark.parametrize("case", ["ekinet-account-deleted", "amazon-lookalike"])
def test_stix_patterns_validate(case: str) -> None:
    validator = pytest.importorskip("stix2patterns.validator")
    patterns = [o["pattern"] for o in _of_type(_stix(case, created=CREATED), "indicator")]
    assert patterns
    for pattern in patterns:
        assert validator.run_validator(pattern, stix_version="2.1") == [], pattern


@pytest.mark.parametrize("case", ["ekinet-account-deleted", "amazon-lookalike", "colleague-clean"])
def test_misp_loads_with_pymisp(case: str) -> None:
    text = to_misp_event(_report(case), raw_message=_raw(case))
    event = pymisp.MISPEvent()
    event.load(text)
    assert json.loads(event.to_json()) == json.loads(text)
    for obj in event.objects:
        assert obj._known_template, obj.name  # every object follows a template pymisp ships


@pytest.mark.parametrize("case", ["ekinet-account-deleted", "amazon-lookalike", "colleague-clean"])
def test_misp_event_matches_pymisp_schema(case: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema_file = Path(pymisp.__file__).parent / "data" / "schema-lax.json"
    event = json.loads(to_misp_event(_report(case), raw_message=_raw(case)))
    jsonschema.validate({"Event": event}, json.loads(schema_file.read_text(encoding="utf-8")))


@pytest.mark.parametrize("case", ["ekinet-account-deleted", "amazon-lookalike", "colleague-clean"])
def test_stix_passes_the_oasis_validator(case: str) -> None:
    """Only when ``stix2-validator`` is installed (not a dependency): it warns that the SDO ids
    are UUIDv5 (wanted: deterministic) and that custom properties are not extensions."""
    validator = pytest.importorskip("stix2validator")
    text = to_stix_bundle(_report(case), raw_message=_raw(case), created=CREATED)
    assert validator.validate_string(text).is_valid


# ------------------------------------------------------------------------------------ indicators
def test_phishing_url_is_raw_indicator_and_observable() -> None:
    bundle = _stix(SEED, created=CREATED)
    patterns = {o["pattern"] for o in _of_type(bundle, "indicator")}
    assert f"[url:value = '{PHISHING_URL}']" in patterns
    assert "[domain-name:value = 'revapec.cn' OR domain-name:value LIKE '%.revapec.cn']" in patterns
    assert PHISHING_URL in {o["value"] for o in _of_type(bundle, "url")}
    text = json.dumps(bundle)
    assert "hxxp" not in text and "[.]" not in text


def test_indicators_carry_types_and_findings() -> None:
    for ind in _of_type(_stix(SEED, created=CREATED), "indicator"):
        assert ind["indicator_types"] == ["malicious-activity"]
        assert ind["pattern_type"] == "stix"
        assert "LINK_BRAND_IN_FOREIGN_DOMAIN" in ind["x_mailsleuth_findings"]


def test_clean_mail_has_no_indicators() -> None:
    bundle = _stix("colleague-clean", created=CREATED)
    assert _of_type(bundle, "indicator") == []
    assert _of_type(bundle, "threat-actor") == []
    assert _of_type(bundle, "url"), "links are still observables"
    assert not any(a["to_ids"] for a in _misp_attributes(_misp("colleague-clean")))


def test_official_brand_link_is_no_indicator() -> None:
    bundle = _stix("amazon-lookalike", created=CREATED)
    patterns = " ".join(o["pattern"] for o in _of_type(bundle, "indicator"))
    assert "signin-verify.top" in patterns
    assert "www.amazon.co.jp" not in patterns and "'amazon.co.jp'" not in patterns
    assert "amazom.co.jp'" in patterns, "the look-alike sender domain is the attacker's"


def test_shared_hosts_and_ip_hosts_flag_the_url_not_the_domain() -> None:
    report = _report(SEED)
    links = [Link("http://198.51.100.7/login.php", "198.51.100.7", "", "", "href"),
             Link("https://sites.google.com/view/x", "sites.google.com", "google.com", "", "href"),
             Link("https://www.eki-net.com/", "www.eki-net.com", "eki-net.com", "", "href")]
    findings = [Finding("LINK_IP_LITERAL", "links", 3.0, {"ja": "", "en": ""}, [f"url: {links[0].url}"]),
                Finding("LINK_FREE_HOSTING", "links", 2.0, {"ja": "", "en": ""}, [f"url: {links[1].url}"]),
                Finding("BRAND_CLAIM_FOREIGN_LINKS", "links", 2.0, {"ja": "", "en": ""}, ["link domain: eki-net.com"])]
    report = dataclasses.replace(report, links=links, findings=findings)
    patterns = {o["pattern"] for o in _of_type(json.loads(to_stix_bundle(report, created=CREATED)), "indicator")}
    assert patterns == {"[url:value = 'http://198.51.100.7/login.php']", "[ipv4-addr:value = '198.51.100.7']",
                        "[url:value = 'https://sites.google.com/view/x']"}
    flagged = {(a["type"], a["value"]) for a in _misp_attributes(json.loads(to_misp_event(report))) if a["to_ids"]}
    assert flagged == {("url", links[0].url), ("ip-dst", "198.51.100.7"), ("url", links[1].url)}


def test_misp_to_ids_only_for_implicated_values() -> None:
    flagged = {(a["type"], a["value"]) for a in _misp_attributes(_misp(SEED)) if a["to_ids"]}
    assert flagged == {("url", PHISHING_URL), ("domain", "revapec.cn")}


def test_misp_sender_domain_attribute_for_lookalike_sender() -> None:
    event = _misp("amazon-lookalike")
    assert [(a["type"], a["value"], a["to_ids"]) for a in event["Attribute"]] == [("domain", "amazom.co.jp", True)]
    assert ("url", "https://www.amazon.co.jp/", False) in {
        (a["type"], a["value"], a["to_ids"]) for a in _misp_attributes(event)}


# ------------------------------------------------------------------------ brand, report, verdict
def test_brand_identity_is_impersonated_by_the_actor() -> None:
    bundle = _stix(SEED, created=CREATED)
    (brand,) = [o for o in _of_type(bundle, "identity") if o["identity_class"] == "organization"]
    assert brand["name"] == "Eki-Net (JR East)" and "えきねっと" in brand["description"]
    (actor,) = _of_type(bundle, "threat-actor")
    rels = {(r["source_ref"], r["relationship_type"], r["target_ref"]) for r in _of_type(bundle, "relationship")}
    assert (actor["id"], "impersonates", brand["id"]) in rels
    for ind in _of_type(bundle, "indicator"):
        assert (ind["id"], "indicates", actor["id"]) in rels
    (report,) = _of_type(bundle, "report")
    assert brand["id"] in report["object_refs"] and actor["id"] in report["object_refs"]


def test_report_carries_verdict_score_and_findings() -> None:
    bundle = _stix(SEED, created=CREATED)
    (report,) = _of_type(bundle, "report")
    assert report["name"] == "【重要】アカウント削除(退会)完了のお知らせ【えきねっと】"
    assert report["description"].startswith("This is phishing")
    assert report["report_types"] == ["threat-report"]
    assert report["x_mailsleuth_verdict"] == "phishing" and report["x_mailsleuth_score"] == _report(SEED).score
    assert report["x_mailsleuth_findings"] == [f.id for f in _report(SEED).findings]
    assert 'mailsleuth:verdict="phishing"' in report["labels"]
    listed = set(report["object_refs"])
    made = {o["id"] for o in bundle["objects"] if o["type"] not in ("report", "marking-definition")}
    assert made - listed == {"identity--" + intel.stable_uuid("identity", "mailsleuth"),
                             next(o["id"] for o in bundle["objects"] if o["type"] == "language-content")}
    (ja,) = _of_type(bundle, "language-content")
    assert ja["object_ref"] == report["id"] and ja["contents"]["ja"]["description"].startswith("フィッシング")


def test_everything_made_for_the_mail_is_tlp_green() -> None:
    bundle = _stix(SEED, created=CREATED)
    green = stix2.TLP_GREEN.id
    reference = {"marking-definition", "identity"}
    for obj in bundle["objects"]:
        if obj["type"] not in reference:
            assert obj["object_marking_refs"] == [green], obj["id"]
    event = _misp(SEED)
    tags = [t["name"] for t in event["Tag"]]
    assert tags[:4] == ["tlp:green", 'mailsleuth:verdict="phishing"', 'mailsleuth:brand="えきねっと"',
                        'rsit:fraud="phishing"']
    assert 'mailsleuth:finding="FORGED_HELO"' in tags


def test_misp_event_fields() -> None:
    event = _misp(SEED)
    assert event["info"] == "【重要】アカウント削除(退会)完了のお知らせ【えきねっと】"
    assert (event["threat_level_id"], event["analysis"], event["date"]) == ("3", "2", "2022-03-25")
    assert [o["name"] for o in event["Object"]] == ["email", "url"]
    email_obj, url_obj = event["Object"]
    assert email_obj["ObjectReference"][0]["referenced_uuid"] == url_obj["uuid"]
    relations = {a["object_relation"]: a["value"] for a in email_obj["Attribute"]}
    assert relations["from"] == "eki-net-update@faxohbr.cn" and relations["ip-src"] == "114.230.236.207"
    assert relations["send-date"] == "2022-03-25T05:07:34+00:00"
    assert f"score {_report(SEED).score:g}" in event["EventReport"][0]["content"]


# ----------------------------------------------------------------------------- time, ids, privacy
def test_output_is_deterministic_and_ids_do_not_need_the_raw_message() -> None:
    assert _stix(SEED) == _stix(SEED)
    assert _misp(SEED) == _misp(SEED)
    with_raw = {o["id"] for o in _stix(SEED, created=CREATED)["objects"] if o["type"] != "email-message"}
    without = {o["id"] for o in json.loads(to_stix_bundle(_report(SEED), created=CREATED))["objects"]
               if o["type"] != "email-message"}
    assert with_raw == without


def test_default_time_is_the_newest_received_stamp() -> None:
    (report,) = _of_type(_stix(SEED), "report")
    assert report["created"] == "2022-03-25T05:07:41.000Z"  # top Received: 14:07:41 +0900


def test_default_time_falls_back_to_date_then_epoch() -> None:
    report = dataclasses.replace(_report(SEED), hops=[])
    bundle = json.loads(to_stix_bundle(report, raw_message=_raw(SEED)))
    assert _of_type(bundle, "report")[0]["created"] == "2022-03-25T05:07:34.000Z"  # Date: 13:07:34 +0800
    bundle = json.loads(to_stix_bundle(report))
    assert _of_type(bundle, "report")[0]["created"] == "1970-01-01T00:00:00.000Z"
    assert json.loads(to_misp_event(report))["date"] == "1970-01-01"


def test_naive_created_is_taken_as_utc() -> None:
    naive = _stix(SEED, created=CREATED.replace(tzinfo=None))
    assert naive == _stix(SEED, created=CREATED)


def test_recipient_is_never_exported() -> None:
    for text in (to_stix_bundle(_report(SEED), raw_message=_raw(SEED)), to_misp_event(_report(SEED))):
        assert RECIPIENT not in text
    (mail,) = _of_type(_stix(SEED), "email-message")
    assert all("for <redacted>" in line for line in mail["received_lines"])


def test_email_message_reads_the_raw_message() -> None:
    (mail,) = _of_type(_stix(SEED), "email-message")
    assert mail["is_multipart"] is True and mail["date"] == "2022-03-25T05:07:34Z"
    assert mail["subject"].startswith("[spam] ") and mail["message_id"] == "<20220325050734237121@faxohbr.cn>"
    assert mail["additional_header_fields"] == {"Return-Path": "<eki-net-update@faxohbr.cn>"}
    sender = next(o for o in _of_type(_stix(SEED), "email-addr") if o["id"] == mail["from_ref"])
    assert sender == {**sender, "value": "eki-net-update@faxohbr.cn", "display_name": "えきねっと"}


# ------------------------------------------------------------------------------ the origin server
def _with_origin(ip: str, rdns: str | None) -> Report:
    report = _report(SEED)
    hop = Hop(raw=f"from mx.example.org ({rdns or 'unknown'} [{ip}]) by relay.example.net", helo="mx.example.org",
              rdns=rdns, ip=ip, by="relay.example.net")
    return dataclasses.replace(report, origin=hop)


def test_origin_name_resolves_to_its_address() -> None:
    bundle = json.loads(to_stix_bundle(_with_origin("192.0.2.25", "mx.example.org"), created=CREATED))
    (ip,) = _of_type(bundle, "ipv4-addr")
    (name,) = [d for d in _of_type(bundle, "domain-name") if d["value"] == "mx.example.org"]
    assert name["resolves_to_refs"] == [ip["id"]]
    event = json.loads(to_misp_event(_with_origin("192.0.2.25", "mx.example.org")))
    (pair,) = [o for o in event["Object"] if o["name"] == "domain-ip"]
    assert {a["object_relation"]: a["value"] for a in pair["Attribute"]} == {"hostname": "mx.example.org",
                                                                             "ip": "192.0.2.25"}


def test_ipv6_origin() -> None:
    bundle = json.loads(to_stix_bundle(_with_origin("2001:db8::25", None), created=CREATED))
    assert [o["value"] for o in _of_type(bundle, "ipv6-addr")] == ["2001:db8::25"]
    assert _of_type(bundle, "ipv4-addr") == []


# ------------------------------------------------------------------------------------ edge cases
def test_quote_in_url_is_escaped_in_the_pattern() -> None:
    validator = pytest.importorskip("stix2patterns.validator")
    report = _report(SEED)
    link = dataclasses.replace(report.links[0], url="https://www.eki-net-member.revapec.cn/a'b\\c")
    findings = [dataclasses.replace(f, evidence=[f"url: {link.url}"]) if f.id == "LINK_BRAND_IN_FOREIGN_DOMAIN" else f
                for f in report.findings]
    bundle = json.loads(to_stix_bundle(dataclasses.replace(report, links=[link], findings=findings), created=CREATED))
    (url_ind,) = [o for o in _of_type(bundle, "indicator") if o["pattern"].startswith("[url:")]
    assert url_ind["pattern"] == "[url:value = 'https://www.eki-net-member.revapec.cn/a\\'b\\\\c']"
    assert validator.run_validator(url_ind["pattern"], stix_version="2.1") == []


def test_render_intel() -> None:
    report, raw = _report(SEED), _raw(SEED)
    assert render_intel(report, "stix", raw) == to_stix_bundle(report, raw_message=raw) + "\n"
    assert render_intel(report, "misp", raw) == to_misp_event(report, raw_message=raw) + "\n"
    with pytest.raises(ValueError, match="unknown intel format"):
        render_intel(report, "csv", raw)


def test_missing_library_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "stix2", None)
    monkeypatch.delitem(sys.modules, "mailsleuth.intel.stix", raising=False)
    with pytest.raises(ImportError, match=r"mailsleuth\[intel\]"):
        to_stix_bundle(_report(SEED))


def test_public_api() -> None:
    assert intel.__all__ == ["INTEL_FORMATS", "render_intel", "to_misp_event", "to_stix_bundle"]
