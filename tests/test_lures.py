"""Lure lexicons (data/scam.json), HTML character references in plain parts, and where the
phishing/spam line falls for fraud stories versus plain ads."""

from __future__ import annotations

import json
import time
from importlib import resources

from mailsleuth import analyze
from mailsleuth.evidence import MIN_ENTITIES, unescape_plain
from mailsleuth.normalize import fold
from mailsleuth.scam_lexicon import find_lures, load_lexicons


def _plain(subject: str, body: str, *, sender: str = "Promo <promo@example.com>") -> bytes:
    return (f"From: {sender}\nTo: ken@example.net\nSubject: {subject}\nMessage-ID: <l1@example.com>\n"
            "Date: Tue, 22 Mar 2022 18:02:00 +0900\nMIME-Version: 1.0\n"
            f"Content-Type: text/plain; charset=utf-8\n\n{body}\n").encode()


def test_escaped_plain_part_is_decoded() -> None:
    text = "Notifica&ccedil;&atilde;o: parab&eacute;ns, voc&ecirc; ganhou"
    assert unescape_plain(text) == "Notificação: parabéns, você ganhou"


def test_lone_reference_is_left_alone() -> None:
    # A URL with one "&amp;" is not HTML-escaped text: below MIN_ENTITIES, nothing changes.
    text = "See https://example.com/?a=1&amp;b=2 and R&D notes"
    assert MIN_ENTITIES > 1
    assert unescape_plain(text) == text


def test_escaped_part_feeds_the_lure_checks() -> None:
    body = "Parab&eacute;ns! Voc&ecirc; ganhou um pr&ecirc;mio. Resgate seu pr&ecirc;mio agora."
    report = analyze(_plain("Notifica&ccedil;&atilde;o", body), enrich=False)
    assert "SCAM_PRIZE_LURE" in {f.id for f in report.findings}


def test_unescape_stays_fast_on_hostile_input() -> None:
    hostile = "&amp;" * 400_000 + "&#" * 200_000
    start = time.perf_counter()
    unescape_plain(hostile)
    assert time.perf_counter() - start < 2.0


def test_every_lexicon_has_comment_and_known_source() -> None:
    doc = json.loads(resources.files("mailsleuth").joinpath("data", "scam.json").read_text(encoding="utf-8"))
    for name, lex in doc["lexicons"].items():
        assert lex["comment"] and lex["source"] in doc["_sources"], name
    for name in ("advance_fee", "crypto_giveaway", "wallet_credential", "dating", "health"):
        assert set(doc["lexicons"][name]["phrases"]) >= {"en", "de", "nl", "fr", "pt", "es"}, name


def test_new_lexicons_speak_several_languages() -> None:
    cases = {
        "wallet_credential": ["Bitte geben Sie Ihre Wiederherstellungsphrase ein", "Conecte sua carteira agora",
                              "Validez votre portefeuille", "Sync your wallet today"],
        "crypto_giveaway": ["Claim your airdrop", "Reclama tus tokens"],
        "dating": ["Bekijk mijn naaktfoto's", "Heiße Singles warten"],
        "health": ["8 kg weniger: Abnehmen ohne Diät", "Perdre du poids vite"],
    }
    for lexicon, texts in cases.items():
        for text in texts:
            assert lexicon in find_lures(fold(text)), (lexicon, text)


def test_duplicate_phrase_is_refused() -> None:
    doc = {"_sources": {"a": "x"}, "lexicons": {
        "one": {"comment": "c", "source": "a", "phrases": {"en": ["seed phrase"]}},
        "two": {"comment": "c", "source": "a", "phrases": {"en": ["Seed  phrase"]}}},
        "hosts": {"free_image_hosts": {"domains": []}}, "sender_hosts": {"local_parts": [], "host_prefixes": []}}
    try:
        load_lexicons(json.dumps(doc))
    except ValueError as exc:
        assert "listed twice" in str(exc)
    else:
        raise AssertionError("a phrase in two lexicons must be refused")


def test_fraud_story_is_phishing_and_plain_ad_is_spam() -> None:
    # The line is drawn by evidence: a 419 story takes money by deception, a pill ad only sells.
    fraud = _plain("Dear friend", "I am General Adam Nelson. I seek your assistance as a trustworthy foreign "
                   "partner to safeguard the sum of USD 14.6 million in my possession. Keep this strictly "
                   "confidential; you will receive 30 percent of the total sum.",
                   sender="Gen. Adam Nelson <adam.nelson@example.com>")
    ad = _plain("Cheap pills", "Viagra and Cialis without prescription, male enhancement and weight loss "
                "offers from our pharmacy.")
    fraud_report = analyze(fraud, enrich=False)
    ad_report = analyze(ad, enrich=False)
    assert "ADVANCE_FEE_LURE" in {f.id for f in fraud_report.findings}
    assert ad_report.verdict != "phishing"
    assert "SPAM_HEALTH_WORDING" in {f.id for f in ad_report.findings}
