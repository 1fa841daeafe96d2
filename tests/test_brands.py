"""Brand data file and matcher (src/mailsleuth/data/brands.json, src/mailsleuth/brands.py)."""

from __future__ import annotations

import collections
import csv
import email
import email.policy
import json
import re
import time
import unicodedata
from collections.abc import Iterator
from email.utils import getaddresses
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from publicsuffixlist import PublicSuffixList

from mailsleuth.brands import Brand, BrandIndex
from mailsleuth.normalize import INVISIBLE_RE


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    ref = resources.files("mailsleuth").joinpath("data", "brands.json")
    data: dict[str, Any] = json.loads(ref.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def idx() -> BrandIndex:
    return BrandIndex.load()


def _ids(hits: list[Any]) -> list[str]:
    return [h.brand.id for h in hits]


def _strings(obj: Any) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


# ----------------------------------------------------------------------------- the data file


def test_data_file_shape(doc: dict[str, Any]) -> None:
    assert isinstance(doc["_format"], str) and "official_domains" in doc["_format"]
    assert isinstance(doc["_sources"], list) and all(isinstance(s, str) for s in doc["_sources"])
    brands = doc["brands"]
    assert len(brands) >= 65
    ids = [b["id"] for b in brands]
    assert len(ids) == len(set(ids)), "brand ids must be unique"
    for b in brands:
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", b["id"]), b["id"]
        assert b["name"].strip() and b["name_en"].strip(), b["id"]
        assert b["country"] == "global" or re.fullmatch(r"[A-Z]{2}", b["country"]), b["id"]
        assert b["names"] and all(n.strip() for n in b["names"]), b["id"]
        for key in ("weak_names", "host_tokens", "jpcert_descriptions"):
            assert isinstance(b.get(key, []), list), (b["id"], key)
        for tok in b.get("host_tokens", []):
            # ASCII tokens: DNS label characters; others (IDN labels) at least two characters
            ok = re.fullmatch(r"[a-z0-9-]{3,}", tok) if tok.isascii() else len(tok) >= 2 and "." not in tok
            assert ok, (b["id"], tok)
        if not b["official_domains"]:
            assert b.get("note"), f"{b['id']}: a brand without official domains must say why in a note"


def test_official_domains_are_registrable_and_sourced(doc: dict[str, Any]) -> None:
    psl = PublicSuffixList()
    for b in doc["brands"]:
        for key in ("official_domains", "free_mail_domains", "shared_domains"):
            seen = set()
            for entry in b.get(key, []):
                d = entry["domain"]
                assert d == d.lower().strip() and not d.endswith("."), (b["id"], d)
                assert psl.privatesuffix(d) == d, f"{b['id']}: {d} is not a registrable domain"
                assert entry.get("source", "").strip(), f"{b['id']}: {d} has no source"
                assert d not in seen, (b["id"], d)
                seen.add(d)
        groups = [
            {e["domain"] for e in b.get(k, [])}
            for k in ("official_domains", "free_mail_domains", "shared_domains")
        ]
        assert not (groups[0] & groups[1] or groups[0] & groups[2] or groups[1] & groups[2]), b["id"]


def test_no_invisible_characters(doc: dict[str, Any]) -> None:
    for s in _strings(doc):
        assert not INVISIBLE_RE.search(s), repr(s)
        bad = [c for c in s if unicodedata.category(c) in ("Cf", "Co", "Cs") or (c < " " and c != "\n")]
        assert not bad, repr(s)


def test_loaded_index_matches_file(doc: dict[str, Any], idx: BrandIndex) -> None:
    assert [b.id for b in idx.brands] == [b["id"] for b in doc["brands"]]
    assert BrandIndex.load() is idx  # the packaged file is loaded once per process
    eki = idx.get("eki-net")
    assert isinstance(eki, Brand) and "eki-net.com" in eki.official_domains
    assert idx.get("no-such-brand") is None


def _jpcert_counts(shared: Path) -> collections.Counter[str]:
    feed = shared / "feeds" / "jpcert-phishurl"
    files = sorted(feed.glob("*/*.csv"))
    if not files:
        pytest.skip("../shared/feeds/jpcert-phishurl is absent")
    counts: collections.Counter[str] = collections.Counter()
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            next(reader, None)
            for row in reader:
                if len(row) >= 3:
                    counts[row[2]] += 1
    return counts


def test_jpcert_top40_descriptions_are_mapped(shared: Path, doc: dict[str, Any]) -> None:
    counts = _jpcert_counts(shared)
    mapped = {d: b["id"] for b in doc["brands"] for d in b["jpcert_descriptions"]}
    top40 = [d for d, _ in counts.most_common(40)]
    assert [d for d in top40 if d not in mapped] == []
    # every mapping names a description that really occurs in the feed (catches typos)
    assert [d for d in mapped if d not in counts] == []


# ----------------------------------------------------------------------------- find()


@pytest.mark.parametrize(
    "text", ["えきねっと", "えきネット", "ｴｷﾈｯﾄ", "Eki-Net", "JR東日本", "「えきねっと」", "EKI NET"]
)
def test_eki_net_spellings(idx: BrandIndex, text: str) -> None:
    assert _ids(idx.find(text)) == ["eki-net"]


def test_latin_names_match_on_word_boundaries(idx: BrandIndex) -> None:
    assert idx.find("pineapple", allow_weak=True) == []
    assert idx.find("adhlx shipping", allow_weak=True) == []
    assert idx.find("jcb1 1jcb", allow_weak=True) == []
    assert _ids(idx.find("Your DHL parcel")) == ["dhl"]
    assert _ids(idx.find("あなたのjcbカードには")) == ["jcb"]  # Japanese next to Latin is a boundary
    assert _ids(idx.find("Amazonプライム会費")) == ["amazon"]


def test_weak_names_only_with_allow_weak(idx: BrandIndex) -> None:
    assert idx.find("au") == []
    hits = idx.find("au", allow_weak=True)
    assert _ids(hits) == ["au"] and hits[0].weak and hits[0].matched == "au"
    assert idx.find("Apple") == [] and _ids(idx.find("Apple", allow_weak=True)) == ["apple"]
    strong = idx.find("Apple ID", allow_weak=True)
    assert _ids(strong) == ["apple"] and not strong[0].weak


def test_find_sees_through_obfuscation(idx: BrandIndex) -> None:
    assert _ids(idx.find("【メルカ\u2064リ】アカウン\ufe09ト")) == ["mercari"]  # invisible characters
    assert _ids(idx.find("【 三 井 住 友 カード 】")) == ["smbc-card"]  # spaced-out kanji
    assert _ids(idx.find("り そ な 銀 行")) == ["resona-bank"]
    assert _ids(idx.find("三 菱 ＵＦＪ銀 行")) == ["mufg-bank"]  # full-width Latin
    assert _ids(idx.find("Ａｍａｚｏｎ．ｃｏ．ｊｐ")) == ["amazon"]


def test_find_order_longest_name_and_dedupe(idx: BrandIndex) -> None:
    hits = idx.find("楽天カードから楽天カードと三井住友カードのお知らせ")
    assert _ids(hits) == ["rakuten-card", "smbc-card"]  # not "rakuten": the longest name wins
    assert hits[0].matched == "楽天かーど"  # the folded name


def test_find_empty(idx: BrandIndex) -> None:
    assert idx.find("") == [] and idx.find("   ", allow_weak=True) == []


def test_find_is_fast_on_a_large_text(idx: BrandIndex) -> None:
    text = ("Please review the attached minutes from the quarterly planning meeting. " * 400)[:25_000]
    text += "株式会社の請求書をご確認ください。今後ともよろしくお願いいたします。" * 500
    idx.find(text)
    t0 = time.perf_counter()
    for _ in range(5):
        idx.find(text)
    per_call = (time.perf_counter() - t0) / 5
    assert per_call < 0.05, f"find() took {per_call * 1000:.1f} ms on {len(text)} chars"


# ----------------------------------------------------------------------------- hosts and domains


def test_in_host(idx: BrandIndex) -> None:
    assert [(b.id, t) for b, t in idx.in_host("www.eki-net-member.revapec.cn")] == [("eki-net", "eki-net")]
    assert idx.in_host("www.eki-net.com") == []  # official
    assert idx.in_host("WWW.EKI-NET.COM.") == []
    assert _ids_host(idx, "amazon-co-jp.xyz") == ["amazon"]
    assert _ids_host(idx, "rakuten-card.co.jp") == []  # official for rakuten-card, so not "rakuten" either
    assert _ids_host(idx, "www.rakuten-card.co.jp.example.cn") == ["rakuten", "rakuten-card"]
    assert _ids_host(idx, "203.0.113.7") == []
    assert _ids_host(idx, "s3.amazonaws.com") == []  # a public suffix: nothing to register
    assert _ids_host(idx, "mybucket.s3.amazonaws.com") == []  # "amazonaws" is the suffix, not a label
    assert _ids_host(idx, "oricon.co.jp") == []


def _ids_host(idx: BrandIndex, host: str) -> list[str]:
    return [b.id for b, _ in idx.in_host(host)]


def test_in_host_shared_platforms_and_punycode(idx: BrandIndex) -> None:
    assert _ids_host(idx, "contoso.sharepoint.com") == []
    assert _ids_host(idx, "paypal-verify.sharepoint.com") == ["paypal"]
    assert _ids_host(idx, "microsoft-login.sharepoint.com") == ["microsoft"]  # a tenant, not Microsoft
    assert _ids_host(idx, "xn--r8jk0euax.com") == ["eki-net"]  # えきねっと.com, decoded before matching
    assert _ids_host(idx, "えきねっと.com") == ["eki-net"]
    assert _ids_host(idx, "login.xn--smbc--bo4dvh3o.example.cn") == ["smbc-card"]  # smbc-カード


def test_by_domain_and_is_official(idx: BrandIndex) -> None:
    eki = idx.get("eki-net")
    assert eki is not None
    by = idx.by_domain("eki-net.com")
    assert by is not None and by.id == "eki-net"
    assert idx.is_official(eki, "eki-net.com")
    assert idx.is_official(eki, "www.eki-net.com")  # a host is reduced to its registrable domain
    assert not idx.is_official(eki, "eki-net.jp")
    assert idx.by_domain("revapec.cn") is None
    amazon = idx.by_domain("amazon.co.jp")
    assert amazon is not None and amazon.id == "amazon"
    # free-mail domains are the brand's, but a sender there does not speak for it
    google = idx.get("google")
    assert google is not None and "gmail.com" in google.free_mail_domains
    assert not idx.is_official(google, "gmail.com") and idx.by_domain("gmail.com") is None
    assert _ids_host(idx, "mail.icloud.com") == []
    microsoft = idx.get("microsoft")
    assert microsoft is not None and idx.by_domain("outlook.com") is None
    assert "sharepoint.com" in microsoft.shared_domains and not idx.is_official(microsoft, "sharepoint.com")
    docomo = idx.get("docomo")
    assert docomo is not None and idx.is_official(docomo, "docomo.ne.jp")
    assert "docomo.ne.jp" in docomo.user_mail_domains


# ----------------------------------------------------------------------------- corpus checks

LABEL_TO_IDS: dict[str, set[str]] = {
    "Amazon": {"amazon"},
    "イオンカード": {"aeon-card"},
    "えきねっと": {"eki-net"},
    "三井住友カード": {"smbc-card"},
    "JCB": {"jcb"},
    "Mastercard": {"mastercard"},
    "ETC利用照会サービス": {"etc-meisai"},
    "メルカリ": {"mercari"},
    "楽天": {"rakuten", "rakuten-card", "rakuten-bank"},  # the label covers the whole group
    "TEPCO": {"tepco"},
    "Coincheck": {"coincheck"},
    "SAISON CARD": {"saison-card"},
    "JR西日本": {"jr-west"},
    "三菱UFJ銀行": {"mufg-bank"},
    "UC Card": {"uc-card"},
    "PayPay": {"paypay", "paypay-bank"},  # PayPay銀行 mails are labelled PayPay
    "エムアイカード": {"micard"},
    "NHK": {"nhk"},
    "ビューカード": {"view-card"},
    "エポスカード": {"epos-card"},
    "JACCS": {"jaccs"},
    "ヨドバシカメラ": {"yodobashi"},
    "ヤマト運輸": {"yamato"},
    "ライフカード": {"life-card"},
    "TS CUBIC CARD": {"ts-cubic"},
    "VISA": {"visa"},
    "横浜銀行": {"bank-of-yokohama"},
    "りそな銀行": {"resona-bank"},
}


def _header_texts(path: Path) -> list[str] | None:
    """Display names and subject, decoded by the stdlib; None when not decodable cleanly."""
    try:
        with path.open("rb") as fh:
            msg = email.message_from_binary_file(fh, policy=email.policy.default)
        texts: list[str] = []
        for name in ("From", "Subject"):
            value = msg.get(name)
            if value is None:
                continue
            if getattr(value, "defects", None):
                return None
            s = str(value)
            if "\ufffd" in s:
                return None
            if name == "From":
                texts.extend(n for n, _ in getaddresses([s]) if n)
            else:
                texts.append(s)
    except Exception:  # a message the stdlib cannot parse is skipped, as the brief allows
        return None
    return texts


def test_ja_lists_brands_found_in_display_name_and_subject(shared: Path, idx: BrandIndex) -> None:
    corpus = shared / "corpus"
    total = found = skipped = 0
    misses = []
    with (corpus / "labels.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["path"].startswith("ja_lists/") and r["brand"]]
    assert {r["brand"] for r in rows} <= set(LABEL_TO_IDS), "a new label spelling needs a mapping"
    for row in rows:
        texts = _header_texts(corpus / row["path"])
        if texts is None:
            skipped += 1
            continue
        total += 1
        hit_ids = {h.brand.id for t in texts for h in idx.find(t, allow_weak=True)}
        if hit_ids & LABEL_TO_IDS[row["brand"]]:
            found += 1
        else:
            misses.append((row["path"], row["brand"], texts))
    rate = found / total
    print(f"\nja_lists brand hit rate: {found}/{total} = {rate:.1%} ({skipped} not decodable, skipped)")
    assert total >= 250
    assert rate >= 0.95, misses[:10]


# Brands that 2002 tech mailing lists really talk about: a hit on them in ham headers is a true
# mention of the brand, not a false match. Any other brand found there is a false hit.
HAM_GENUINE_MENTIONS = {"google", "microsoft", "yahoo", "apple", "att"}
HAM_KNOWN_FALSE_HITS: set[tuple[str, str]] = set()  # (file name, brand id); none at present


def test_no_false_brand_hits_in_spamassassin_ham_headers(shared: Path, idx: BrandIndex) -> None:
    files = sorted((shared / "corpus" / "spamassassin").glob("easy-ham-*/*"))
    if not files:
        pytest.skip("no SpamAssassin easy ham in ../shared")
    mentions = 0
    false_hits = []
    for path in files:
        texts = _header_texts(path)
        for text in texts or []:
            for hit in idx.find(text, allow_weak=True):
                if hit.brand.id in HAM_GENUINE_MENTIONS:
                    mentions += 1
                elif (path.name, hit.brand.id) not in HAM_KNOWN_FALSE_HITS:
                    false_hits.append((path.name, hit.brand.id, hit.matched, text))
    print(f"\nSpamAssassin easy ham headers: {mentions} genuine brand mentions, {len(false_hits)} false hits")
    assert false_hits == []


# ---------------------------------------------------------------- confusables
@pytest.mark.parametrize(
    ("text", "brand", "seen"),
    [
        ("Amie from Iedger", "ledger", "Iedger"),  # capital I for small l
        ("PayPaI Service", "paypal", "PayPaI"),
        ("Arnazon Support", "amazon", "Arnazon"),  # rn for m
        ("vvells fargo alerts", "wells-fargo", "vvells fargo"),  # vv for w
        ("l\u0435\u0501g\u0435r", "ledger", "l\u0435\u0501g\u0435r"),  # Cyrillic e and komi de
        ("N\u0435tfl1x", "netflix", "N\u0435tfl1x"),
        ("\uff2c\uff45\uff44\uff47\uff45\uff52", "ledger", ""),  # full-width is plain NFKC, not a confusable
    ],
)
def test_confusable_brand_names(idx: BrandIndex, text: str, brand: str, seen: str) -> None:
    hits = [h for h in idx.find(text, allow_weak=True) if h.brand.id == brand]
    assert hits, text
    assert hits[0].confusable == bool(seen)
    assert hits[0].seen == seen


@pytest.mark.parametrize(
    "text",
    [
        "Lime and Iime",  # no brand reads like these
        "Visa card", "Ledger", "Amazon order",  # plainly spelled: not confusable hits
        "modern art", "Clinic news", "Bill Douglas", "the ripple effect in CVS commits",
    ],
)
def test_confusable_fold_does_not_invent_spoofs(idx: BrandIndex, text: str) -> None:
    assert [h for h in idx.find(text, allow_weak=True) if h.confusable] == []


def test_confusables_not_searched_in_body_text(idx: BrandIndex) -> None:
    assert idx.find("Your Iedger Nano", allow_weak=False) == []
    assert _ids(idx.find("Your Iedger Nano", allow_weak=False, confusables=True)) == ["ledger"]


def test_host_confusables(idx: BrandIndex) -> None:
    got = [(h.brand.id, h.token, h.seen) for h in idx.host_confusables("app1e-id.login.example.net")]
    assert got == [("apple", "apple", "app1e")]
    assert [h.brand.id for h in idx.host_confusables("arnazon-secure.example.com")] == ["amazon"]
    assert idx.host_confusables("www.apple.com") == []  # the brand's own domain
    assert idx.host_confusables("apple-id.example.net") == []  # plainly spelled: in_host reports it
    assert idx.host_confusables("modern.example.com") == []


def test_confusable_scan_is_linear(idx: BrandIndex) -> None:
    text = ("I1l|0rnvv" * 20000)[:150_000]
    start = time.perf_counter()
    idx.find(text, allow_weak=True)
    idx.host_confusables(("rn" * 30) + ".example.com")
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize(
    ("text", "brand"),
    [
        ("Team Ripple", "ripple"), ("Stellar Foundation", "stellar"), ("Lido DAO", "lido"),
        ("Peacock TV Support", "peacock"), ("Nespresso", "nespresso"), ("Kaufland", "kaufland"),
        ("Hang Seng Bank", "hang-seng"), ("Standard Chartered Kenya", "standard-chartered"),
        ("MashreqAlert", "mashreq"), ("Ourocard - Liberacao", "banco-do-brasil"), ("Planos Amil", "amil"),
    ],
)
def test_global_brands_round_two(idx: BrandIndex, text: str, brand: str) -> None:
    assert _ids(idx.find(text, allow_weak=True))[:1] == [brand]


@pytest.mark.parametrize(
    ("text", "brand"),
    [
        ("Lieber Decathlon-Kunde, wir freuen uns", "decathlon"), ("Dear Amazon customer,", "amazon"),
        ("Bonjour TrustWallet, Merci de cliquer", "trust-wallet"), ("Cher client Microsoft,", "microsoft"),
        ("Viel Spass!\nIhr Lidl-Team\n", "lidl"), ("Compte Microsoft\nActivités de connexion", "microsoft"),
        ("Best regards,\nCoinbase Team", "coinbase"), ("楽天カードをご利用のお客様", "rakuten-card"),
        ("Prezado cliente Bradesco,", "bradesco"), ("Sehr geehrter Lidl-Kunde,", "lidl"),
    ],
)
def test_body_claims(idx: BrandIndex, text: str, brand: str) -> None:
    assert [c.hit.brand.id for c in idx.claims(text)] == [brand]


@pytest.mark.parametrize(
    "text",
    [
        "I ordered it from Amazon last week.",  # a brand named, not speaking
        "I heard the Microsoft team decided to ship it anyway.",  # in the middle of a sentence
        "Apple released a new iPod; Dear reader, enjoy.",
        "Hi au, customer",  # a weak Latin name under three letters never counts
    ],
)
def test_body_mentions_are_not_claims(idx: BrandIndex, text: str) -> None:
    assert idx.claims(text) == []


def test_body_claims_scan_is_linear(idx: BrandIndex) -> None:
    text = ("Dear Amazon " * 20000)[:200_000]
    start = time.perf_counter()
    idx.claims(text)
    idx.find("a " * 50_000, allow_weak=True)
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize(
    ("text", "brand"),
    [
        ("a d a c", "adac"), ("P.a.y.P.a.l Service", "paypal"),  # spelled out letter by letter
        ("trustwallet app", "trust-wallet"), ("statefarm claims", "state-farm"),  # compact forms
        ("bnb-airdrop", "binance"), ("ftxteam.", "ftx"), ("daniel kroll ( ftx )", "ftx"),
    ],
)
def test_spaced_and_compact_names(idx: BrandIndex, text: str, brand: str) -> None:
    assert _ids(idx.find(text, allow_weak=True))[:1] == [brand]


# ---------------------------------------------------------------- brands added from missed phishing_pot mails
@pytest.mark.parametrize(
    ("text", "brand"),
    [
        ("Correos", "correos"), ("Kruidvat", "kruidvat"), ("Cielo:", "cielo"), ("CARTÃO CASAS BAHIA", "casas-bahia"),
        ("Informe BB: Conta bloqueada", "banco-do-brasil"), ("Nano Security Team", "ledger"),
        ("''Meta-support''", "facebook"), ("MetaTeam", "facebook"), ("proton.me Helpdesk", "proton"),
        ("Nachricht der AOK", "aok"), ("Ihr GLS-Zustellungsversuch", "gls"), ("Poste Italiane", "poste-italiane"),
        ("100€ DEUTSCHE BAHN Gutschein", "deutsche-bahn"), ("KOHL's", "kohls"), ("Paramount +", "paramount-plus"),
        ("Total AV Mitteilung", "totalav"), ("Impоrtant Infоrmation Frоm AT&T!", "att"), ("CoinbaseWaIIet", "coinbase"),
        ("CARTA DE NOTIFICAÇÃO DE FUNDOS DO FMI", "imf"), ("Bittrex (Refund)", "bittrex"),
    ],
)
def test_global_brands_round_three(idx: BrandIndex, text: str, brand: str) -> None:
    assert _ids(idx.find(text, allow_weak=True))[:1] == [brand]


@pytest.mark.parametrize("text", ["Re: [meta-forkage]", "nano-scale chips", "Ledger balances for Q3",
                                  "Disney's new park"])
def test_short_names_need_context(idx: BrandIndex, text: str) -> None:
    """Short or ordinary words stay weak (never in body text) or need a frame to be a brand at all."""
    assert [h.brand.id for h in idx.find(text) if h.brand.id in {"facebook", "ledger", "disney-plus"}] == []


def _raw_mail(from_header: str, subject: str = "Hello") -> bytes:
    return (f"From: {from_header}\nTo: ken@example.net\nSubject: {subject}\nMessage-ID: <m1@example.org>\n"
            "Date: Tue, 22 Mar 2022 18:02:00 +0900\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"
            "Hi, see you on Tuesday.\n").encode()


def _name_mismatch(from_header: str) -> float | None:
    import mailsleuth
    from mailsleuth.enrich import offline_enricher

    report = mailsleuth.analyze(_raw_mail(from_header), enricher=offline_enricher(feeds_path=Path("/nonexistent")))
    found = [f for f in report.findings if f.id == "DISPLAY_NAME_BRAND_MISMATCH"]
    return found[0].confidence if found else None


@pytest.mark.parametrize(
    ("from_header", "confidence"),
    [
        ("Max Steller von Amazon <>", 1.0),  # a person "from" the brand, and no address at all
        ("Hilan from Ledger <ledger@mail.example.com>", 1.0),
        ("Nano Security Team <security@mail.example.com>", 1.0),  # a weak name with a department after it
        ("Support Team, Ledger <help@mail.example.com>", 1.0),  # only role words before the brand
        ("Informe BB: Conta bloqueada <x1@mail.example.com>", 1.0),
        ("Amazon <deals@mail.example.com>", 0.6),  # a weak name alone stays weak
        ("Lockergnome Apple Core <news@lockergnome.example.com>", 0.3),  # another name comes first
        ("CNET Amazon Deals <news@cnet.example.com>", 0.3),
        ("proton.me Helpdesk <admin@mail.example.com>", 1.0),
        ("Proton Mail <someone@protonmail.com>", 1.0),  # anyone can have a Proton address
        ("Proton <no-reply@proton.me>", None),  # Proton's own system address on its mail domain
    ],
)
def test_display_name_claim_frames(from_header: str, confidence: float | None) -> None:
    assert _name_mismatch(from_header) == confidence


def test_marks_over_latin_letters_are_a_confusable_spelling() -> None:
    index = BrandIndex.load()
    hits = index.find("a\u073fl\u073fer\u073ft A\u073fm\u073fa\u073fz\u073fo\u073fn", allow_weak=True)
    assert [(h.brand.id, h.confusable, h.seen) for h in hits] == [
        ("amazon", True, "A\u073fm\u073fa\u073fz\u073fo\u073fn")]
    assert [h.confusable for h in index.find("Amazon.com", allow_weak=True)] == [False]


def test_names_cut_by_punctuation() -> None:
    index = BrandIndex.load()
    assert [(h.brand.id, h.seen) for h in index.find("A-m-a-z-o-n notice", allow_weak=True)] == [
        ("amazon", "A-m-a-z-o-n")]
    assert [h.brand.id for h in index.find("D'isney Plus", allow_weak=True)] == ["disney-plus"]
    # words of a name joined by a dot, or a hyphenated word, are no disguise
    assert not any(h.confusable for h in index.find("Celsius.Network", allow_weak=True))
    assert index.find("e-mail from a friend", allow_weak=True) == []


def test_unnamed_list_server_is_no_forged_brand_sender() -> None:
    """An employee of a brand posting to a mailing list: the hop the reader's server saw is the
    list's own server (it greets with the list's domain), not one the brand chose - no forgery."""
    import mailsleuth

    def posted(received: str, lists: bool) -> set[str]:
        head = (f"Received: {received}\nFrom: Chris <chris@adobe.com>\nTo: fork@xent.example\n"
                "Subject: NASA mindreading\nMessage-ID: <1@adobe.com>\n")
        if lists:
            head += ("Sender: fork-admin@xent.example\nList-Id: Friends <fork.xent.example>\n"
                     "List-Unsubscribe: <http://xent.example/mailman/listinfo/fork>\n")
        data = (head + "Content-Type: text/plain\n\nInteresting read.\n").encode()
        return {f.id for f in mailsleuth.analyze(data).findings}

    relay = "from xent.example ([64.161.22.236]) by mx.example.net (8.11.6) with ESMTP id g6P; Thu, 25 Jul 2002"
    assert "BRAND_SENDER_UNNAMED_ORIGIN" not in posted(relay, lists=True)
    assert "BRAND_SENDER_UNNAMED_ORIGIN" in posted(relay, lists=False)
    forged = "from adobe.com ([64.161.22.236]) by mx.example.net (8.11.6) with ESMTP id g6P; Thu, 25 Jul 2002"
    assert "BRAND_SENDER_UNNAMED_ORIGIN" in posted(forged, lists=True)  # greets as someone else than the list


@pytest.mark.parametrize("text", ["contavivo", "Fatura Vivo", "Meu Vivo", "Vivo"])
def test_vivo_names(idx: BrandIndex, text: str) -> None:
    """The Brazilian carrier: its compound names are strong; bare "Vivo" (also "alive" in Portuguese,
    Spanish and Italian) is weak."""
    assert _ids(idx.find(text, allow_weak=True))[:1] == ["vivo"]


@pytest.mark.parametrize("text", ["Estou vivo e bem", "Vivo en Madrid", "Vivo X100 review"])
def test_vivo_word_is_no_brand_in_body_text(idx: BrandIndex, text: str) -> None:
    assert "vivo" not in _ids(idx.find(text))


def test_a_mail_service_writing_as_itself_is_not_impersonation() -> None:
    """Proton's notices come from its mail domain (proton.me), which is also where its users have
    their addresses: a host below it is the service's own, the domain itself with a personal local
    part is anybody's, and its pages on proton.me are the brand's, not a suspicious TLD."""
    import mailsleuth

    def ids(from_: str, body: str) -> tuple[str, set[str]]:
        data = (f"From: {from_}\nTo: a@example.net\nSubject: New sign-in to your Proton Account\n"
                f"Content-Type: text/plain\n\n{body}\n").encode()
        report = mailsleuth.analyze(data)
        return report.verdict, {f.id for f in report.findings}

    verdict, found = ids("Proton <notify@notify.proton.me>", "We noticed a new sign-in. https://account.proton.me/")
    assert verdict == "clean"
    assert not found & {"DISPLAY_NAME_BRAND_MISMATCH", "FREEMAIL_CLAIMS_COMPANY", "LINK_SUSPICIOUS_TLD",
                        "BRAND_CLAIM_FOREIGN_LINKS"}
    verdict, found = ids("Proton Support <proton.security.team@proton.me>",
                         "Verify your account now or it will be suspended: https://proton-verify.top/login")
    assert verdict == "phishing" and "DISPLAY_NAME_BRAND_MISMATCH" in found
    # a Microsoft 365 tenant's default domain is the customer's, not Microsoft's
    verdict, found = ids("Microsoft Support <it@contoso7.onmicrosoft.com>", "Your mailbox is full. https://x.example/")
    assert "DISPLAY_NAME_BRAND_MISMATCH" in found
