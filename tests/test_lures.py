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


def test_lure_families_speak_several_languages() -> None:
    cases = {
        "mailbox": ["You have 6 pending messages", "Ihr Postfach ist voll", "Votre mot de passe expire demain",
                    "Uw mailbox is vol", "Mensagens pendentes na sua caixa", "Su buzón lleno",
                    "Casella di posta piena", "メールボックスの容量が上限です"],
        "advance_fee": ["an urgent business dealing", "Meu caro amigo", "una donación para usted",
                        "mein verstorbener Vater", "mon cher ami", "een donatie", "una donazione"],
        "money": ["Join our investment platform", "Werden Sie Bitcoin-Millionär", "plateforme de trading",
                  "Beleggingsplatform", "plataforma de investimento", "plataforma de inversión",
                  "piattaforma di trading"],
        "fee_or_fine": ["Tercer intento fallido", "Consegna non andata a buon fine", "Lieferung fehlgeschlagen",
                        "tentative de livraison", "bezorging mislukt", "saldo bloqueado", "missed package"],
        "prize": ["Neem een enquête en win", "Einkaufsgutschein im Wert von 500 EUR", "Tenemos una sorpresa",
                  "lots à gagner", "Sei stato scelto", "lucky winner"],
    }
    for lexicon, texts in cases.items():
        for text in texts:
            assert lexicon in find_lures(fold(text)), (lexicon, text)


def test_won_sentence_with_the_prize_inside_counts() -> None:
    # "Sie haben ein/e <prize> gewonnen": a phrase list cannot hold every prize; the subject counts twice.
    report = analyze(_plain("Sie haben ein/e Kaffeemaschine XL gewonnen", "Jetzt bestätigen."), enrich=False)
    assert "SCAM_PRIZE_LURE" in {f.id for f in report.findings}
    # A team that "has won" a match is no prize for the reader.
    ham = analyze(_plain("Match report", "Our team has won the cup after a long season."), enrich=False)
    assert "SCAM_PRIZE_LURE" not in {f.id for f in ham.findings}


def test_mailbox_lure_leaves_delivery_reports_alone() -> None:
    report = (b"From: MAILER-DAEMON@example.com\nTo: ken@example.net\nSubject: Undelivered Mail\n"
              b"Message-ID: <b1@example.com>\nDate: Tue, 22 Mar 2022 18:02:00 +0900\nMIME-Version: 1.0\n"
              b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\n"
              b"Content-Type: text/plain\n\nThe recipient's mailbox storage is full: mailbox quota exceeded, "
              b"pending messages were not delivered.\n--b--\n")
    assert "MAILBOX_LURE" not in {f.id for f in analyze(report, enrich=False).findings}


def test_lure_plus_one_trick_is_phishing() -> None:
    # A mailbox lure sent with a hidden recipient list and a throw-away sender: lure + trick = phishing.
    raw = (b"From: Mail Admin <x7qzkvbn3wrt@example.com>\nSubject: Password expiry notice\n"
           b"Message-ID: <m1@example.com>\nDate: Tue, 22 Mar 2022 18:02:00 +0900\nMIME-Version: 1.0\n"
           b"Content-Type: text/plain; charset=utf-8\n\nYour password will expire in 24 hours. You have 3 pending "
           b"messages blocked. Keep your current password: https://example.top/keep\n")
    report = analyze(raw, enrich=False)
    ids = {f.id for f in report.findings}
    assert {"MAILBOX_LURE", "SCAM_LURE_WITH_TRICKS"} <= ids
    assert report.verdict == "phishing"


def test_won_pattern_stays_fast_on_hostile_input() -> None:
    hostile = "you have " + "x " * 500_000 + "won"
    start = time.perf_counter()
    analyze(_plain("you have " * 30_000, hostile), enrich=False)
    assert time.perf_counter() - start < 5.0


def test_plus_balance_counts_as_easy_money() -> None:
    raw = _plain("Kori Reese", "Your account already has +23.774$ - withdraw it today.")
    assert "SCAM_MONEY_LURE" in {f.id for f in analyze(raw, enrich=False).findings}
    # A phone number or points with a plus sign are no balance.
    calm = _plain("Call us", "Call +1.555.123.4567 or collect +1,000 points at the shop.")
    assert "SCAM_MONEY_LURE" not in {f.id for f in analyze(calm, enrich=False).findings}


def test_extortion_and_storage_wording() -> None:
    # Sextortion demands a payment under threat: FEE_OR_FINE_LURE's lexicon; a full cloud storage opens the
    # mailbox lure.
    for text in ("I hacked your device and recorded a video; I will send it to all your contacts",
                 "Ihr Gerät wurde gehackt, ich habe Zugriff auf Ihr Gerät"):
        assert "fee_or_fine" in find_lures(fold(text)), text
    for text in ("Su almacenamiento en iCloud está lleno", "Your mailbox cloud capacity is at 97%"):
        assert "mailbox" in find_lures(fold(text)), text


def test_general_earnings_wording_alone_is_an_offer_not_a_money_lure() -> None:
    # "Make money", "extra income": how work-at-home and network-marketing ads are worded. Alone
    # they are offer wording (spam); next to the fraud's vehicle (a crypto platform) they count
    # toward the easy-money lure.
    ad = _plain("Make money from your kitchen table", "Earn extra income every month. Make money with our plan.")
    found = {f.id for f in analyze(ad, enrich=False).findings}
    assert "SCAM_MONEY_LURE" not in found
    assert "SPAM_OFFER_WORDING" in found
    fraud = _plain("Make money while you sleep", "Our bitcoin trading bot gives you extra income every day.")
    assert "SCAM_MONEY_LURE" in {f.id for f in analyze(fraud, enrich=False).findings}
    assert "earnings" in find_lures(fold("Wie man Geld verdienen kann, ganhe dinheiro, ganar dinero"))


def _html_with_blank_plain(sender: str, reply_to: str, subject: str, html: str) -> bytes:
    return (f"From: {sender}\nReply-To: {reply_to}\nTo: ken@example.net\nSubject: {subject}\n"
            "Message-ID: <l2@example.com>\nDate: Tue, 22 Mar 2022 18:02:00 +0900\nMIME-Version: 1.0\n"
            'Content-Type: multipart/alternative; boundary="b"\n\n--b\nContent-Type: text/plain; charset=utf-8\n\n \n'
            f"--b\nContent-Type: text/html; charset=utf-8\n\n{html}\n--b--\n").encode()


def test_write_to_private_address_in_html_behind_blank_plain_part() -> None:
    # The plain part is blank, the ask sits in the HTML; the private address is also the Reply-To,
    # on another free-mail provider than the sender's, so it is not the sender's own.
    html = ("<p>Desculpe invadir sua privacidade, obtive seu contato por meio de uma pesquisa. Por favor, "
            "escreva para meu e-mail particular: <b>ana.private@mail.com</b></p>")
    report = analyze(_html_with_blank_plain("Ana <ana1984x@gmail.com>", "ana.private@mail.com", "Olá", html),
                     enrich=False)
    ids = {f.id for f in report.findings}
    assert {"WRITE_TO_OTHER_ADDRESS", "ADVANCE_FEE_LURE"} <= ids


def test_other_address_at_the_same_free_mail_provider_counts() -> None:
    body = "I am lonely. Reply me at anna.private1990@gmail.com for my photos."
    report = analyze(_plain("Hello", body, sender="Anna <anna.x77@gmail.com>"), enrich=False)
    assert "WRITE_TO_OTHER_ADDRESS" in {f.id for f in report.findings}


def test_fake_celebrity_news_counts_as_easy_money_bait() -> None:
    body = "He had no idea that the camera was still capturing everything. A scandalous interview. Read more"
    report = analyze(_plain("This TV interview jeopardizes his career", body), enrich=False)
    assert "SCAM_MONEY_LURE" in {f.id for f in report.findings}


def test_scam_opener_needs_free_mail_and_no_link() -> None:
    opener = "I want to talk to you. How are you today?"
    free = analyze(_plain("Hello", opener, sender="Carla <carla77x@gmail.com>"), enrich=False)
    assert "SCAM_OPENER_FROM_FREEMAIL" in {f.id for f in free.findings}
    work = analyze(_plain("Hello", opener, sender="Carla <carla@example.org>"), enrich=False)
    linked = analyze(_plain("Hello", opener + " https://example.com/x", sender="Carla <carla77x@gmail.com>"),
                     enrich=False)
    assert "SCAM_OPENER_FROM_FREEMAIL" not in {f.id for f in [*work.findings, *linked.findings]}


def test_ad_wording_of_several_languages_reaches_the_ad_lexicons() -> None:
    # How diet, pill, dating, energy and casino ads are worded beyond English: the general wording of
    # such ads (not one campaign's sentences) lands in the ad lexicons, never in a fraud lexicon.
    cases = {
        "health": ["Gummis zur Gewichtsreduktion", "die auf natürliche Weise Fett verbrennen",
                   "goedkoper dan de blauwe pil", "een beter seksleven", "queimar gordura", "quemar grasa"],
        "dating": ["Ben je nog opzoek naar een date?", "liefde van je leven", "esposa ucraniana",
                   "hot girls", "single Frauen"],
        "offer": ["Zonnepanelen goedkoper dan ooit", "Verlaag uw energierekening", "50% bonus at every deposit",
                  "Stromrechnung senken", "paineis solares"],
        "ad": ["Naar de aanbieding", "Wacht niet langer", "solange der Vorrat reicht", "just today"],
    }
    for lexicon, texts in cases.items():
        for text in texts:
            found = find_lures(fold(text))
            assert lexicon in found, (lexicon, text)
            assert not {"prize", "money", "advance_fee", "fee_or_fine"} & set(found), text


def test_dating_or_health_ad_is_spam_and_a_talk_about_diets_is_not() -> None:
    # The product's wording next to the words that sell it is an ad (spam); a mail that only talks
    # about losing weight sells nothing.
    ad = _plain("Droomvrouw gezocht?", "Russische dames wachten op jou! Vind de liefde van je leven. "
                "Mis de kans niet, meld je direct aan en ontmoet vandaag nog je droomvrouw. Klik hier.",
                sender="Russische Schoonheid <info@example.com>")
    report = analyze(ad, enrich=False)
    found = {f.id for f in report.findings}
    assert {"SPAM_DATING_WORDING", "DATING_OR_HEALTH_AD"} <= found
    assert report.verdict != "phishing"
    talk = _plain("Re: diet thread", "My doctor says I should lose weight; the keto diet helped my brother "
                  "with his blood sugar. Anyone tried it?", sender="Ken <ken@example.org>")
    found = {f.id for f in analyze(talk, enrich=False).findings}
    assert "DATING_OR_HEALTH_AD" not in found


def test_attachment_open_and_legal_notice_wording() -> None:
    cases = {
        "attachment_open": ["Please Read attached for more information (PDF)", "abrir o documento anexado",
                            "Please open PDF attachment for more details", "Öffnen Sie den Anhang",
                            "ouvrez la pièce jointe", "abra el archivo adjunto", "open de bijlage",
                            "添付ファイルを開いてご確認ください"],
        "fee_or_fine": ["Seu nome foi citado no processo abaixo", "Processo 1200 em seu nome",
                        "[Payment Decline] Notifications about your transaction", "A lawsuit has been filed"],
    }
    for lexicon, texts in cases.items():
        for text in texts:
            assert lexicon in find_lures(fold(text)), (lexicon, text)
    # an everyday "see attached" is no ask to open a payload
    assert "attachment_open" not in find_lures(fold("The minutes are attached, see you Tuesday."))


def test_attachment_lure_needs_an_attachment_and_a_pretext_with_a_trick() -> None:
    import base64

    def with_pdf(subject: str, body: str, sender: str, name: str = "fatura.pdf") -> bytes:
        return (f"From: {sender}\nTo: ken@example.net\nSubject: {subject}\nMessage-ID: <a1@example.com>\n"
                "Date: Tue, 22 Mar 2022 18:02:00 +0900\nMIME-Version: 1.0\n"
                'Content-Type: multipart/mixed; boundary="b1"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\n'
                f"{body}\n--b1\nContent-Type: application/pdf; name=\"{name}\"\n"
                f"Content-Disposition: attachment; filename=\"{name}\"\nContent-Transfer-Encoding: base64\n\n"
                ).encode() + base64.b64encode(b"%PDF-1.4\n") + b"\n--b1--\n"

    lure = with_pdf("Re: Sua fatura chegou",
                    "A sua fatura acaba de chegar, basta abrir o documento anexado. Vencimento: 08/12.",
                    "Conta Digital <sua.conta.digital88@outlook.com>")
    found = {f.id for f in analyze(lure, enrich=False).findings}
    assert {"ATTACHMENT_OPEN_LURE", "ATTACHMENT_LURE_WITH_ASK"} <= found
    invoice = with_pdf("Invoice 2022-031", "Hello Ken, your invoice is attached; please read attached for more "
                       "information about the payment terms.", "Billing <billing@acme-tools.example>")
    found = {f.id for f in analyze(invoice, enrich=False).findings}
    assert "ATTACHMENT_LURE_WITH_ASK" not in found, "a company's own invoice, no trick"
