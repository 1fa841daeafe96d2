"""Hosted forms and shared files as a lure's call to action (data/form_hosts.json), the shared-document
and booking lexicons, and the crypto claim in a subject (checks/scam.py)."""

from __future__ import annotations

import json
import time
from importlib import resources

import pytest

from mailsleuth.analyze import analyze
from mailsleuth.scam_lexicon import form_hosts, load_form_hosts
from test_checks import mail


def _ids(data: bytes) -> set[str]:
    return {f.id for f in analyze(data, enrich=False).findings}


def test_every_host_names_a_known_source() -> None:
    raw = json.loads(resources.files("mailsleuth").joinpath("data", "form_hosts.json").read_text(encoding="utf-8"))
    assert all(entry["source"] in raw["_sources"] for entry in raw["hosts"])
    broken = dict(raw, hosts=[dict(raw["hosts"][0], source="nowhere")])
    with pytest.raises(ValueError, match="source"):
        load_form_hosts(json.dumps(broken))


@pytest.mark.parametrize(("host", "path", "what"), [
    ("forms.gle", "/x1", "Google Forms short link"),
    ("docs.google.com", "/forms/d/e/1/viewform", "Google Forms"),
    ("drive.google.com", "/file/d/1v/preview", "Google Drive shared file"),
    ("contoso-my.sharepoint.com", "/:b:/g/personal/x", "SharePoint space"),
])
def test_match(host: str, path: str, what: str) -> None:
    entry = form_hosts().match(host, path)
    assert entry is not None and entry.what == what


def test_path_decides_on_a_shared_host() -> None:
    assert form_hosts().match("docs.google.com", "/support/answer") is None  # help pages, not a form
    assert form_hosts().match("notgoogle.com", "/forms/") is None


def test_sender_own_sharepoint_space_is_not_counted() -> None:
    own = mail(from_="Contoso IT <it@contoso.com>", body="Your files: https://contoso.sharepoint.com/sites/hr/doc\n")
    other = mail(from_="Contoso IT <it@contoso.com>", body="Your files: https://fabrikam.sharepoint.com/sites/hr/doc\n")
    assert "LINK_HOSTED_FORM" not in _ids(own)
    assert "LINK_HOSTED_FORM" in _ids(other)


def test_hosted_form_with_a_booking_ask_is_phishing() -> None:
    data = mail(subject="Finish the process", body="Dear guest! Your vacation is getting closer! "
                "https://forms.gle/AbCdEf123 To confirm your reservation please go through the form, "
                "otherwise your reservation will be cancelled.\n")
    report = analyze(data, enrich=False)
    ids = {f.id for f in report.findings}
    assert {"LINK_HOSTED_FORM", "BOOKING_CONFIRM_LURE", "HOSTED_FORM_WITH_ASK"} <= ids


def test_hosted_form_without_an_ask_stays_weak() -> None:
    ids = _ids(mail(body="Sign up for the team lunch: https://forms.gle/AbCdEf123\n"))
    assert "LINK_HOSTED_FORM" in ids and "HOSTED_FORM_WITH_ASK" not in ids


def test_sharing_service_notifications_are_not_a_document_lure() -> None:
    body = "Ana has shared a file with you. Open the document: it has been shared with you via Drive.\n"
    assert "DOCUMENT_SHARE_LURE" not in _ids(mail(from_="Ana (via Google Drive) <drive-shares-noreply@google.com>",
                                                  body=body))
    assert "DOCUMENT_SHARE_LURE" in _ids(mail(from_="Drive <share@drive-notice.example>", body=body))


@pytest.mark.parametrize("subject", ["#rodrigofp: Claim 500 BNB Now", "Claim 26000 UNI Now", "CLAIM $1,500 USDT"])
def test_crypto_claim_subject_counts_alone(subject: str) -> None:
    assert "CRYPTO_GIVEAWAY_LURE" in _ids(mail(subject=subject, body="See you soon.\n"))


@pytest.mark.parametrize("subject", ["Claim 3 of the patent", "claim 500 points now", "Insurance claim 2024 form"])
def test_ordinary_claims_are_not_crypto(subject: str) -> None:
    assert "CRYPTO_GIVEAWAY_LURE" not in _ids(mail(subject=subject, body="See you soon.\n"))


@pytest.mark.parametrize(("text", "lang"), [
    ("Compte Microsoft Activités de connexion inhabituelles", "fr"),
    ("Ungewöhnliche Anmeldung bei Ihrem Konto", "de"),
    ("Detectamos un inicio de sesión inusual", "es"),
    ("Ongebruikelijke aanmelding op uw account", "nl"),
    ("Detectamos uma atividade incomum", "pt"),
])
def test_account_threat_in_other_languages(text: str, lang: str) -> None:
    from mailsleuth.normalize import fold
    from mailsleuth.phrases import find_phrases

    hits = find_phrases(fold(text)).get("account_threat", [])
    assert hits and hits[0].lang == lang


def test_many_links_stay_linear() -> None:
    links = " ".join(f"https://forms.gle/a{i} https://x{i}.example.com/p" for i in range(20_000))
    data = mail(body=links + "\n")
    start = time.perf_counter()
    analyze(data, enrich=False)
    assert time.perf_counter() - start < 20
