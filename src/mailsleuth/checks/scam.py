"""Checks for scams that name no brand: prizes, easy money, fees and fines, bulk offers, and the
tricks that mass mailers use to get such mail through (throw-away sender addresses, random
tokens in the subject, hidden recipients, pictures on free image hosts, password-protected
attachments, mail sent by a script on a rented server).

The lure wording lives in ``data/scam.json`` (see :mod:`mailsleuth.scam_lexicon`). Every check
here reads only bounded prefixes of the mail (subject, addresses, ``MAX_SCAN`` characters of
text), so the cost stays linear on hostile input.
"""

from __future__ import annotations

import itertools
import re
import threading
from urllib.parse import urlsplit

from ..domains import registrable_domain
from ..evidence import Evidence
from ..lists import in_list
from ..models import CLICKABLE, Link
from ..normalize import INVISIBLE_RE, fold
from ..scam_lexicon import FormHost, LureHit, find_lures, form_hosts, lexicons, word_view
from . import Hit, check

_last = threading.local()  # (evidence, lures) of the last message seen in this thread


def lures(ev: Evidence) -> dict[str, list[LureHit]]:
    """Lexicon hits for ``ev`` (subject and body), computed once per message."""
    return _scan(ev)[0]


def _subject_lures(ev: Evidence, name: str) -> list[LureHit]:
    return _scan(ev)[1].get(name, [])


def _scan(ev: Evidence) -> tuple[dict[str, list[LureHit]], dict[str, list[LureHit]]]:
    cached = getattr(_last, "triple", None)
    if cached is not None and cached[0] is ev:
        return cached[1], cached[2]
    found = find_lures(ev.text_folded)
    in_subject = find_lures(ev.subject[:1000].casefold()) if found and ev.subject else {}
    _last.triple = (ev, found, in_subject)
    return found, in_subject


def _phrases_hit(found: list[LureHit], count: int) -> Hit:
    """The hit of a lexicon check: the phrases found (at most five shown), their languages, and a
    confidence that grows with ``count`` (phrases, those in the subject counted twice)."""
    phrases = [h.phrase for h in found[:5]]
    langs = sorted({h.lang for h in found})
    return Hit(evidence=[*(f"phrase: {p}" for p in phrases), f"languages: {', '.join(langs)}"],
               params={"phrases": "」「".join(phrases[:3]), "phrases_en": '", "'.join(phrases[:3]),
                       "count": str(len(found))},
               confidence=min(1.0, 0.25 + 0.25 * count))


def _lure_hit(ev: Evidence, name: str, *, least: int = 1) -> Hit | None:
    """A hit when at least ``least`` distinct phrases of lexicon ``name`` occur; a phrase in the
    subject counts twice (the subject is what the mail is about). Confidence 0.5 for one
    phrase, 0.75 for two, 1.0 for three or more."""
    found = lures(ev).get(name, [])
    if not found:
        return None
    in_subject = {h.phrase for h in _subject_lures(ev, name)}
    count = len(found) + len(in_subject)
    if count < least:
        return None
    return _phrases_hit(found, count)


# "Sie haben ein/e iPhone gewonnen", "Your email address has won you", "Vous avez gagné un ...":
# the reader is told they won, with the prize between the verb and "won" (a phrase list cannot
# hold every prize). Bounded gaps, one pass over a bounded prefix.
_WON_RE = re.compile(
    r"\b(?:you\s+have|you'?ve|you\s+are\s+(?:the|our)|e-?mail(?:\s+address)?\s+has|sie\s+haben|du\s+hast|vous\s+avez"
    r"|u\s+heeft|je\s+hebt|voc[eê]\s+foi)\b"
    r"[^.!?\n]{0,60}?\b(?:won|winner|gewonnen|gagn[eé]e?|ganhou|premiad[oa]|sortead[oa])\b",
    re.IGNORECASE)
WON_SCAN = 3000  # characters of folded text (after the subject) searched for "you have ... won"


def _sentence(ev: Evidence, pattern: re.Pattern[str]) -> tuple[re.Match[str] | None, int]:
    """Where ``pattern`` (a lure said in a sentence, not a listed phrase) matches, and how many
    phrases that counts for: two in the subject, one in the opening ``WON_SCAN`` of the text."""
    m = pattern.search(ev.subject[:300])
    if m is not None:
        return m, 2
    m = pattern.search(ev.text_folded[:WON_SCAN])
    return m, 1 if m is not None else 0


@check("SCAM_PRIZE_LURE", "content")
def scam_prize_lure(ev: Evidence) -> Hit | None:
    """The reader has won or been chosen for a prize, a gift card or a reward, or holds points
    about to expire - the opening of survey, gift-card and points-redemption scams. "You have
    ... won" in the subject counts as two phrases, in the opening of the text as one."""
    hit = _lure_hit(ev, "prize", least=1)
    won, extra = _sentence(ev, _WON_RE)
    found = lures(ev).get("prize", [])
    if won is not None and extra == 1:  # "you have won" is a listed phrase already: count the sentence once
        said = word_view(fold(won.group(0)))
        if any(f" {h.phrase} " in said for h in found):
            won, extra = None, 0
    if hit is None and not extra:
        return None
    in_subject = {h.phrase for h in _subject_lures(ev, "prize")}
    count = len(found) + len(in_subject) + extra
    if count < 2:
        return None
    said_won = won.group(0)[:80] if won is not None else ""
    evidence = [f"won: {said_won}"] if said_won else []
    params = hit.params if hit else {"phrases": said_won, "phrases_en": said_won, "count": "1"}
    return Hit(evidence=[*evidence, *(hit.evidence if hit else [])], params=params,
               confidence=min(1.0, 0.25 + 0.25 * count))


# "+23.774$", "+$1,989", "+18,486$": a balance shown with a plus sign, as the fake dashboards of
# "your account has earned" crypto scams print it. Linear: literals, bounded digit groups.
_AMOUNT = r"\d{1,3}(?:[.,]\d{3}){1,3}(?:[.,]\d{1,2})?"
_PLUS_BALANCE_RE = re.compile(rf"(?<![\w+])\+\s?(?:\${_AMOUNT}|{_AMOUNT}\s?(?:\$|€|usd\b|eur\b|btc\b))")


@check("SCAM_MONEY_LURE", "content")
def scam_money_lure(ev: Evidence) -> Hit | None:
    """Easy money: guaranteed investment or crypto returns, quick earnings, a balance or payout
    waiting to be withdrawn. (The 419 story is ADVANCE_FEE_LURE; plain work-at-home and mortgage
    ads are SPAM_OFFER_WORDING.) A balance written with a plus sign ("+23.774$") counts as a
    phrase, twice in the subject. Earnings promised in general words (lexicon "earnings": "make
    money", "extra income") are how money-making ads are worded too, so they add to the count
    only once a phrase or balance that names the fraud's vehicle is there."""
    hit = _lure_hit(ev, "money", least=1)
    won, extra = _sentence(ev, _PLUS_BALANCE_RE)
    found = lures(ev).get("money", [])
    in_subject = {h.phrase for h in _subject_lures(ev, "money")}
    if not found and not extra:
        return None
    general = lures(ev).get("earnings", [])
    count = len(found) + len(in_subject) + extra + len(general) + len(_subject_lures(ev, "earnings"))
    if count < 2:
        return None
    said = won.group(0).strip() if won is not None else ""
    params = hit.params if hit else {"phrases": said, "phrases_en": said, "count": "1"}
    return Hit(evidence=[*([f"balance: {said}"] if said else []), *(hit.evidence if hit else []),
                         *(f"phrase: {h.phrase}" for h in general[:3])], params=params,
               confidence=min(1.0, 0.25 + 0.25 * count))


@check("FEE_OR_FINE_LURE", "content")
def fee_or_fine_lure(ev: Evidence) -> Hit | None:
    """A small payment or a check demanded under threat: a parcel held for a fee, a fine, a
    court or tax matter, a licence about to be suspended."""
    return _lure_hit(ev, "fee_or_fine", least=2)


@check("ADVANCE_FEE_LURE", "content")
def advance_fee_lure(ev: Evidence) -> Hit | None:
    """The story of advance-fee ('419') fraud: a stranger with millions to move, a dying donor or
    a soldier holding a fortune, who needs a trustworthy foreign partner in confidence."""
    return _lure_hit(ev, "advance_fee", least=2)


# "Claim 500 BNB Now", "Claim 26000 UNI": an amount and a ticker in capitals after "claim".
_CRYPTO_CLAIM_RE = re.compile(r"\b[Cc](?:laim|LAIM)\s+\$?\d[\d,.]{0,15}\s*(?:[A-Z]{2,6}|\$[A-Za-z]{2,10})\b")


@check("CRYPTO_GIVEAWAY_LURE", "content")
def crypto_giveaway_lure(ev: Evidence) -> Hit | None:
    """Free crypto to claim: an airdrop, a token allocation, staking rewards or dividends - the
    claim costs a 'gas fee', a deposit or the wallet itself. A subject that claims an amount of
    a token ("Claim 500 BNB Now") is the lure on its own (confidence 0.75)."""
    hit = _lure_hit(ev, "crypto_giveaway", least=2)
    m = _CRYPTO_CLAIM_RE.search(ev.subject[:300])
    if m is None:
        return hit
    if hit is not None:
        return Hit(evidence=[f"subject: {m.group(0)}", *hit.evidence], params=hit.params,
                   confidence=min(1.0, hit.confidence + 0.25))
    return Hit(evidence=[f"subject: {m.group(0)}"], params={"phrases": m.group(0), "phrases_en": m.group(0),
               "count": "1"}, confidence=0.75)


@check("MAILBOX_LURE", "content")
def mailbox_lure(ev: Evidence) -> Hit | None:
    """The reader's mailbox is said to hold blocked, held or pending messages, to be full or about
    to be closed, or its password to expire - the opening of the webmail credential lure. Two
    phrases are needed (a phrase in the subject counts twice). Delivery reports are left alone:
    a mail server reporting a full mailbox uses the same words, and the mailbox is real."""
    if ev.is_delivery_report:
        return None
    return _lure_hit(ev, "mailbox", least=2)


@check("DOCUMENT_SHARE_LURE", "content")
def document_share_lure(ev: Evidence) -> Hit | None:
    """A document is said to be shared with the reader, waiting to be viewed or signed - the
    opening of the shared-document lure, whose button leads to a log-in page. Two phrases are
    needed (a phrase in the subject counts twice), and mail from the sharing services themselves
    is left alone: their own notifications use the same words."""
    sender = ev.from_addr.registrable_domain if ev.from_addr else ""
    if sender and sender in form_hosts().share_senders:
        return None
    return _lure_hit(ev, "document_share", least=2)


@check("BOOKING_CONFIRM_LURE", "content")
def booking_confirm_lure(ev: Evidence) -> Hit | None:
    """A reservation or trip is said to need confirming, or to be cancelled unless the reader acts.
    Real confirmations read the same, so this is weak alone; next to a link to a hosted form
    (HOSTED_FORM_WITH_ASK) it is the booking lure sent from hijacked hotel accounts."""
    return _lure_hit(ev, "booking", least=2)


@check("WALLET_CREDENTIAL_LURE", "content")
def wallet_credential_lure(ev: Evidence) -> Hit | None:
    """The mail asks for a crypto wallet's recovery (seed) phrase, or to connect, validate or
    sync the wallet on a site: whoever holds the phrase holds the funds, and no wallet maker
    asks for it. One phrase is enough (confidence 0.5)."""
    return _lure_hit(ev, "wallet_credential", least=1)


@check("SCAREWARE_LURE", "content")
def scareware_lure(ev: Evidence) -> Hit | None:
    """A fake virus alarm or a lapsed antivirus: the device is said to be infected or
    unprotected and the files about to be damaged, unless the reader renews, downloads a
    "scanner" or calls support - scareware and tech-support fraud. Two phrases are needed
    (a phrase in the subject counts twice)."""
    return _lure_hit(ev, "scareware", least=2)


# A telephone number as callback lures print it: "+1 818 492 9813", "+1 (808) 123-4567",
# "1-800-123-4567", "(808) 123 4567", "+44 20 1234 5678". Bounded groups, no nesting.
_PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?\(?\d{2,4}\)?(?:[\s.-]?\d{2,4}){2,4}"
    r"|1[\s.-]\(?[2-9]\d{2}\)?[\s.-]?\d{3}[\s.-]?\d{4}|\([2-9]\d{2}\)\s?\d{3}[\s.-]?\d{4}"
    r"|[2-9]\d{2}[.-]\d{3}[.-]\d{4})(?!\w)")
PHONE_SCAN = 20_000  # characters of text searched for a telephone number


@check("CALLBACK_LURE", "content")
def callback_lure(ev: Evidence) -> Hit | None:
    """A fake receipt, renewal or order that the reader is to call a telephone number to cancel or
    dispute ("if you did not authorize this, call +1 ..."): telephone-oriented phishing, often with
    no link at all - on the phone the caller is talked into a "refund" or into remote access.
    Needs a telephone number and two phrases of the receipt-and-cancel story (a phrase in the
    subject counts twice)."""
    hit = _lure_hit(ev, "callback", least=2)
    if hit is None:
        return None
    m = _PHONE_RE.search(ev.subject[:300]) or _PHONE_RE.search(ev.text[:PHONE_SCAN])
    if m is None:
        return None
    return Hit(evidence=[f"telephone: {m.group(0).strip()}", *hit.evidence], params=hit.params,
               confidence=hit.confidence)


# An e-mail address written in the text, and the words just before it that ask the reader to write
# there ("Reply me at", "Write at:", "my e-mail for response", "contact my private email"). The ask is
# matched on the word view of at most ASK_WINDOW characters before the address, and must end at most
# a few words before it. Addresses are found from their "@" (at most MAX_ADDRESSES of them), so the
# cost stays linear.
_AT_RE = re.compile(r"@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,5}")
_LOCAL_RE = re.compile(r"[a-z0-9][a-z0-9._%+-]{0,63}$")
_ASK_RE = re.compile(
    r"(?:(?:\b(?:write|reply|respond|answer|email|e mail|mail|contact|reach|text|message)(?: to)? me"
    r"|\bresponse to me|\bfor (?:a )?(?:response|reply|answer)|\bemail to me|\be mail to me"
    r"|\bmy (?:private|personal|direct|other) (?:e ?mail|mail|address|inbox|mailbox)|\bcontact my"
    r"|\b(?:escreva|responda|contate|fale)(?: me| para mim| comigo)|\bme (?:escreva|responda)"
    r"|\bmeu e ?mail (?:pessoal|particular|privado)"
    r"|\b(?:schreib|schreiben sie|antworte|antworten sie|kontaktieren sie) (?:mir|mich)|\bmeine private e ?mail"
    r"|\b(?:ecrivez|ecris|repondez|reponds|contactez|contacte) moi|\bmon (?:adresse )?e ?mail (?:prive|personnel)"
    r"|\b(?:schrijf|mail) (?:me|mij)|\bneem contact met mij op|\bmijn prive e ?mail"
    r"|\b(?:escribeme|escribame|contactame|contacteme|respondeme)|\bmi correo (?:privado|personal)"
    r"|\b(?:scrivimi|scrivetemi|contattami|rispondimi)|\bmi (?:scriva|contatti)|\bla mia e ?mail privata)"
    r"(?: \w+){0,3}"
    r"|\bwrite (?:to|at)|\b(?:reply|respond|answer) at|\bescreva para|\bschreib an|\becrivez a"
    r"|\bschrijf naar|\bescribe a|\bscrivi a) $")
ASK_WINDOW = 60
MAX_ADDRESSES = 20
CONTACT_SCAN = 20_000


def _other_domain(address: str, ev: Evidence) -> bool:
    """Whether ``address`` belongs to no one the mail came from (the sender, the forwarder, a
    Reply-To on the sender's own domain). At a free-mail provider only the very address counts
    as the sender's: ``anna@gmail.com`` asking to write to ``anna.private@gmail.com`` asks to
    move. A Reply-To at another free-mail address is the same move made in the headers, so it
    does not make the address the sender's."""
    domain = registrable_domain(address.rsplit("@", 1)[1])
    senders = [a for a in (ev.from_addr, ev.header_from, ev.forwarded_by) if a is not None]
    own = {a.registrable_domain for a in senders}
    known = [*senders, *(a for a in ev.reply_to if a.registrable_domain in own)]
    free = in_list("free_email_providers", domain)
    return all(a.address.lower() != address and (free or a.registrable_domain != domain) for a in known)


def _real_list(ev: Evidence) -> bool:
    """List mail that names where the list lives (a posting address or a list domain), not only a
    List-Id token that a bulk-mailing tool stamps on whatever it sends."""
    info = ev.list_info
    return info is not None and bool(info.post_address or info.domains)


@check("WRITE_TO_OTHER_ADDRESS", "content")
def write_to_other_address(ev: Evidence) -> Hit | None:
    """The text asks the reader to write to an e-mail address that is not the sender's ("Reply me
    at ...@gmail.com", "contact my private email"): romance and advance-fee fraud moves the talk
    off the address it was sent from, out of reach of the platform that would stop it. Only
    addresses at free-mail providers count: people give a second work address, and lists name
    their own; delivery reports and list mail are left alone."""
    if ev.is_delivery_report or _real_list(ev):
        return None
    text = ev.text[:CONTACT_SCAN].lower()
    for m in itertools.islice(_AT_RE.finditer(text), MAX_ADDRESSES):
        local = _LOCAL_RE.search(text, max(0, m.start() - 64), m.start())
        if local is None:
            continue
        address = local.group(0) + m.group(0)
        if not _other_domain(address, ev):
            continue
        before = text[max(0, local.start() - ASK_WINDOW):local.start()]
        ask = _ASK_RE.search(word_view(fold(before)))
        if ask is None:
            continue
        if not in_list("free_email_providers", address.rsplit("@", 1)[1]):
            continue  # a work or list address: people give those in signatures and footers
        said = ask.group(0).strip()
        return Hit(evidence=[f"asks: {said}", f"address: {address}"], params={"address": address, "ask": said})
    return None


# "mailto:name@host" in text or markup; bounded runs, one pass over a bounded prefix
_MAILTO_RE = re.compile(r"mailto:\s{0,3}([a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,5})")


@check("MAILTO_TO_FREEMAIL", "content")
def mailto_to_freemail(ev: Evidence) -> Hit | None:
    """A button or link of the mail opens a new mail to a free-mail address that is not the
    sender's ("Report the user" -> ``mailto:someone@gmail.com?subject=...``): the fake account
    alert that harvests replies, with no web link for a filter to judge. Companies take reports
    on their own domain. Weak alone (people link their own free-mail address); with an account,
    log-in or mailbox pretext it is MAILTO_FREEMAIL_WITH_ASK. List mail and delivery reports are
    left alone."""
    if ev.is_delivery_report or _real_list(ev):
        return None
    texts = [ev.text[:CONTACT_SCAN], *(h[:CONTACT_SCAN] for h in ev.message.html_parts[:3])]
    for text in texts:
        for m in itertools.islice(_MAILTO_RE.finditer(text.lower()), MAX_ADDRESSES):
            address = m.group(1).rstrip(".")
            domain = address.rsplit("@", 1)[1]
            if not in_list("free_email_providers", registrable_domain(domain)) or not _other_domain(address, ev):
                continue
            return Hit(evidence=[f"mailto: {address}"], params={"address": address})
    return None


OPENER_MAX_TEXT = 600  # characters: a first-contact opener is a few lines


@check("SCAM_OPENER_FROM_FREEMAIL", "content")
def scam_opener_from_freemail(ev: Evidence) -> Hit | None:
    """A few lines from a free-mail account with no link, in the words of the first contact of
    romance and advance-fee fraud ("I want to talk to you", "how are you today", "praise the
    Lord"): the stranger only waits for a reply, and the story and the money come later. Replies
    and list mail are left alone (people write short notes to people they know). Confidence 1.0
    with two phrases (a phrase in the subject counts twice) or when the recipients are hidden or
    replies are sent to another address; 0.6 otherwise."""
    sender = ev.from_addr
    if sender is None or ev.list_info is not None or ev.is_delivery_report or ev.inline_forward is not None:
        return None
    if not in_list("free_email_providers", sender.domain) or REPLY_RE.match(ev.subject[:300]):
        return None
    if ev.message.get("In-Reply-To") or ev.message.get("References"):
        return None
    text = ev.text
    if len(text.strip()) > OPENER_MAX_TEXT or any(link.source != "img" for link in ev.links[:MAX_LINKS]):
        return None
    found = lures(ev).get("opener", [])
    if not found:
        return None
    in_subject = {h.phrase for h in _subject_lures(ev, "opener")}
    to = " ".join(ev.message.get_all("To"))[:2000].lower()
    hidden = not to.strip() or "undisclosed" in to or sender.address.lower() in to
    elsewhere = any(a.address.lower() != sender.address.lower() for a in ev.reply_to)
    strong = len(found) + len(in_subject) >= 2 or hidden or elsewhere
    phrases = [h.phrase for h in found[:3]]
    return Hit(evidence=[*(f"phrase: {p}" for p in phrases), f"from: {sender.address}",
                         f"text: {len(text.strip())} characters", *(["recipients hidden"] if hidden else []),
                         *(["replies go elsewhere"] if elsewhere else [])],
               params={"phrases": "」「".join(phrases), "phrases_en": '", "'.join(phrases), "address": sender.address},
               confidence=1.0 if strong else 0.6)


@check("SPAM_OFFER_WORDING", "content")
def spam_offer_wording(ev: Evidence) -> Hit | None:
    """The unsolicited offers bulk spam sells: casinos and betting, loans, mortgages and debt,
    work at home and network marketing, 'buy now' and 'no obligation' pressure. Earnings
    promised in general words (lexicon "earnings": "make money", "extra income") are what such
    money-making offers say, so they count here as offer phrases."""
    offers = lures(ev).get("offer", [])
    general = lures(ev).get("earnings", [])
    if not offers and not general:
        return None
    said = {h.phrase for h in [*_subject_lures(ev, "offer"), *_subject_lures(ev, "earnings")]}
    found = [*offers, *general]
    count = len(found) + len(said)
    if count < 2:
        return None
    return _phrases_hit(found, count)


@check("SPAM_DATING_WORDING", "content")
def spam_dating_wording(ev: Evidence) -> Hit | None:
    """A dating or adult come-on: a lonely stranger, naked photos, a meeting this weekend.
    It sells a site; spam, not a theft by itself."""
    return _lure_hit(ev, "dating", least=2)


@check("SPAM_HEALTH_WORDING", "content")
def spam_health_wording(ev: Evidence) -> Hit | None:
    """A miracle health, diet or potency offer: pills without prescription, pounds lost in
    days, enlargement."""
    return _lure_hit(ev, "health", least=2)


AD_LEAST = 3  # distinct ad and offer phrases (a phrase in the subject counts twice)


def _has_list_headers(ev: Evidence) -> bool:
    return ev.list_info is not None or bool(ev.message.get("List-Unsubscribe")) or bool(ev.message.get("List-Id"))


def _ad_hit(ev: Evidence) -> Hit | None:
    """A hit when at least ``AD_LEAST`` distinct phrases of the "ad" and "offer" lexicons occur."""
    found = lures(ev)
    hits = [*found.get("ad", []), *found.get("offer", [])]
    if not hits:
        return None
    in_subject = {h.phrase for name in ("ad", "offer") for h in _subject_lures(ev, name)}
    if len(hits) + len(in_subject) < AD_LEAST:
        return None
    phrases = [h.phrase for h in hits[:5]]
    langs = sorted({h.lang for h in hits})
    return Hit(evidence=[*(f"phrase: {p}" for p in phrases), f"languages: {', '.join(langs)}"],
               params={"phrases": "」「".join(phrases[:3]), "phrases_en": '", "'.join(phrases[:3]),
                       "count": str(len(hits))})


@check("AD_WORDING", "content")
def ad_wording(ev: Evidence) -> Hit | None:
    """The mail reads as an advertisement: three phrases or more of a shop's campaign ("special
    offer", "clique aqui", "jetzt bestellen", "profiteer nu", a discount, free delivery). Subscribed
    newsletters read the same, so this is a fact for composites, worth little alone."""
    if ev.is_delivery_report:
        return None
    return _ad_hit(ev)


@check("AD_WORDING_WITHOUT_LIST", "content")
def ad_wording_without_list(ev: Evidence) -> Hit | None:
    """The mail reads as an advertisement ("special offer", "clique aqui", "jetzt bestellen",
    "profiteer nu", a discount, free delivery - three phrases or more, in any of several languages)
    but names no list it was sent through: a newsletter the reader subscribed to carries
    List-Unsubscribe or List-Id, an ad sent to a bought or scraped list does not. Delivery reports
    are left alone: they quote the mail they return."""
    if _has_list_headers(ev) or ev.is_delivery_report:
        return None
    hit = _ad_hit(ev)
    if hit is None:
        return None
    return Hit(evidence=[*hit.evidence, "list headers: none"], params=hit.params)


# --- the attachment ---------------------------------------------------------------------------

_LOCKABLE = (".pdf", ".zip", ".rar", ".7z", ".doc", ".docx", ".xls", ".xlsx", ".docm", ".xlsm")
_PDF_SCAN = 4_000_000  # bytes of a PDF searched for its encryption dictionary


def _encrypted(data: bytes, name: str) -> bool:
    if name.endswith(".zip") and data[:4] == b"PK\x03\x04" and len(data) > 6:
        return bool(data[6] & 1)  # general-purpose flag bit 0: the entry is encrypted
    if name.endswith(".pdf"):
        return data[:_PDF_SCAN].find(b"/Encrypt") >= 0 or data[-_PDF_SCAN:].find(b"/Encrypt") >= 0
    return False


@check("ENCRYPTED_ATTACHMENT_PASSWORD", "structure")
def encrypted_attachment_password(ev: Evidence) -> Hit | None:
    """An attached document or archive is locked with a password that the mail itself gives:
    the lock keeps filters from reading what is inside, not strangers."""
    given = lures(ev).get("password_given", [])
    for part in ev.message.parts:
        name = (part.filename or "").lower()
        if not name.endswith(_LOCKABLE):
            continue
        locked = _encrypted(part.data, name)
        if not given and not locked:
            continue
        if not given and locked:
            return Hit(evidence=[f"attachment: {part.filename}", "encrypted: yes"],
                       params={"name": part.filename or ""}, confidence=0.5)
        return Hit(evidence=[f"attachment: {part.filename}", f"encrypted: {'yes' if locked else 'unknown'}",
                             f"phrase: {given[0].phrase}"],
                   params={"name": part.filename or ""}, confidence=1.0 if locked else 0.7)
    return None


MAX_ATTACHMENTS = 50  # attachments looked at; a mail with more is no lure built around one file


def _documents(ev: Evidence) -> list[str]:
    """Names of the attached files that are not pictures (pictures are logos and signatures)."""
    return [p.filename for p in ev.message.parts[:MAX_ATTACHMENTS * 4]
            if p.filename and not p.content_type.startswith("image/")][:MAX_ATTACHMENTS]


@check("ATTACHMENT_OPEN_LURE", "content")
def attachment_open_lure(ev: Evidence) -> Hit | None:
    """The mail says that the invoice, the account notice or the court paper is in the attached
    file and asks the reader to open it ("Please read attached for more information", "abrir o
    documento anexado"), and it does carry a document. The file is the payload (a link inside
    a PDF, a script in an HTML page), and the mail body stays bland so filters find nothing.
    Real mail says "see attached" too, so this is weak alone; next to a payment, account or fine
    pretext and a trick (ATTACHMENT_LURE_WITH_ASK) it is the attachment lure. List mail and
    delivery reports are left alone."""
    if ev.is_delivery_report or _real_list(ev):
        return None
    documents = _documents(ev)
    if not documents:
        return None
    hit = _lure_hit(ev, "attachment_open")
    if hit is None:
        return None
    hit.evidence.append(f"attachment: {documents[0]}")
    return hit


@check("ATTACHMENT_NAME_DISGUISED", "structure")
def attachment_name_disguised(ev: Evidence) -> Hit | None:
    """An attached file's name holds invisible or right-to-left control characters
    (``review\u034f\u034f.pdf``, ``invoice\u202efdp.exe``): they hide the real extension from the
    reader or make every copy of the campaign look different to a filter. Software that names
    files has no reason to write them."""
    for name in _documents(ev):
        hidden = INVISIBLE_RE.findall(name[:1000])
        if hidden:
            codes = " ".join(sorted({f"U+{ord(c):04X}" for c in hidden}))
            shown = INVISIBLE_RE.sub("\N{WHITE SQUARE}", name[:200])
            return Hit(evidence=[f"attachment: {shown}", f"hidden characters: {codes}"],
                       params={"name": shown, "codes": codes})
    return None


# --- links ------------------------------------------------------------------------------------


def _on_image_host(host: str, hosts: frozenset[str]) -> bool:
    labels = host.split(".")
    return any(".".join(labels[i:]) in hosts for i in range(max(0, len(labels) - 4), len(labels) - 1))


@check("IMAGES_ON_FREE_HOST", "links")
def images_on_free_host(ev: Evidence) -> Hit | None:
    """The mail's pictures sit on a free image host: a company keeps its pictures on its own
    site or its mail provider's, a one-off mass mailing borrows someone else's."""
    hosts = lexicons().image_hosts
    found = sorted({link.host for link in ev.links if link.source == "img" and _on_image_host(link.host, hosts)})
    if not found:
        return None
    return Hit(evidence=[f"image host: {h}" for h in found[:5]], params={"hosts": ", ".join(found[:3])})


MAX_LINKS = 200  # links looked at by LINK_HOSTED_FORM


def _hosted(link: Link) -> FormHost | None:
    host = link.host.lower().rstrip(".")
    try:
        path = urlsplit(link.url[:2000]).path
    except ValueError:
        return None
    return form_hosts().match(host, path)


def _owner_label(domain: str) -> str:
    return domain.split(".", 1)[0] if domain else ""


@check("LINK_HOSTED_FORM", "links")
def link_hosted_form(ev: Evidence) -> Hit | None:
    """The mail's call to action is a form or a shared file on a free service (Google Forms or
    Drive, Yandex Forms, OneDrive, another organisation's SharePoint, ...): a company collects
    data and shares files on its own site, a lure borrows a trusted host for its page. Counted
    when such links make up at least half of the places the mail links to (the sender's own
    domain left out)."""
    sender = ev.from_addr.registrable_domain if ev.from_addr else ""
    hosted: dict[str, FormHost] = {}
    others: set[str] = set()
    for link in ev.links[:MAX_LINKS]:
        if link.source not in CLICKABLE or link.source == "pdf":
            continue
        entry = _hosted(link)
        if entry is not None and entry.tenant and sender:
            tenant = link.host.lower().split(".", 1)[0].removesuffix("-my")
            if tenant == _owner_label(sender):
                entry = None  # the sender's own SharePoint space
        if entry is not None:
            hosted.setdefault(link.url[:200], entry)
        elif (link.registrable_domain or link.host) != sender:
            others.add(link.registrable_domain or link.host)
    if not hosted or len(others) > len(hosted):
        return None
    urls = list(hosted)
    whats = sorted({e.what for e in hosted.values()})
    return Hit(evidence=[*(f"url: {u}" for u in urls[:3]), f"service: {', '.join(whats)}",
                         f"other link domains: {len(others)}"],
               params={"service": ", ".join(whats[:2]), "url": urls[0]})


# --- the subject ------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[A-Za-z0-9]+")
_TRAILING_NUMBER_RE = re.compile(r"(?:^|\s)[-#:(\[]?\s*(\d{6,})\s*[)\]]?\s*$")


def _transitions(token: str) -> int:
    kinds = ["d" if c.isdigit() else ("u" if c.isupper() else "l") for c in token]
    return sum(1 for a, b in itertools.pairwise(kinds) if (a == "d") != (b == "d"))


def random_token(token: str) -> bool:
    """A token that no person types: letters and digits interleaved (``egeZ2Fb4pfL``,
    ``M3OWGRFR5O``), or digits next to a run of letters without a vowel (``Pontos6BBNQGtqtS``) -
    what a mass mailer appends to make every copy differ. CamelCase words with a digit
    (``Mark2CurSeen``) are words, and are left alone."""
    if len(token) < 6 or len(token) > 64 or sum(1 for c in token if c.isalpha()) < 3:
        return False
    flips = _transitions(token)
    if flips >= 3:
        return True
    if flips < 2:
        return False
    return any(len(seg) >= 3 and not (set(seg.lower()) & VOWELS) for seg in _SEGMENT_RE.findall(token))


_SEGMENT_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
REPLY_RE = re.compile(r"(?i)^\s*(?:re|fwd?|aw|sv|tr|enc|res)\s*[:：]")  # Re:, Fwd:, AW:, ENC: ...


@check("SUBJECT_RANDOM_TOKEN", "content")
def subject_random_token(ev: Evidence) -> Hit | None:
    """The subject carries a random string or a long number tacked on (``Urgent notice -
    Ve6kbag``): every copy of a mass mailing differs, so filters cannot match them."""
    subject = ev.subject[:300]
    if REPLY_RE.match(subject):
        return None  # a reply quotes the subject it answers
    for token in _TOKEN_RE.findall(subject):
        if random_token(token):
            return Hit(evidence=[f"subject: {subject[:120]}", f"token: {token}"], params={"token": token})
    m = _TRAILING_NUMBER_RE.search(subject)
    if m and len(subject) > len(m.group(0)) + 3:
        return Hit(evidence=[f"subject: {subject[:120]}", f"number: {m.group(1)}"], params={"token": m.group(1)},
                   confidence=0.7)
    return None


_LETTER_RE = re.compile(r"[A-Za-z]")


@check("SUBJECT_SHOUTING", "content")
def subject_shouting(ev: Evidence) -> Hit | None:
    """The subject shouts: written in capitals, or with runs of ``!!!`` or ``$$$``."""
    subject = ev.subject[:300]
    if REPLY_RE.match(subject):
        return None
    letters = _LETTER_RE.findall(subject)
    upper = sum(1 for c in letters if c.isupper())
    loud = len(letters) >= 12 and upper >= 0.8 * len(letters)
    marks = "!!!" in subject or "$$$" in subject or "!?!" in subject
    if not loud and not marks:
        return None
    return Hit(evidence=[f"subject: {subject[:120]}"], params={"subject": subject[:80]},
               confidence=1.0 if loud and marks else 0.6)


# --- addresses --------------------------------------------------------------------------------

VOWELS = frozenset("aeiouy")
_KEYBOARD = ("qwert", "werty", "asdf", "sdfg", "dfgh", "fghj", "ghjk", "hjkl", "zxcv", "xcvb", "cvbn", "vbnm",
             "wert", "erty", "rtyu", "tyui", "yuio", "uiop", "jkl")
_CHUNK_RE = re.compile(r"[a-z0-9]+")


def random_label(text: str) -> str:
    """The part of ``text`` (a local part or a domain label) that reads as typed at random,
    or "": a long run of consonants, letters and digits interleaved, keyboard rows."""
    chunks: list[str] = _CHUNK_RE.findall(text.lower()[:200])
    for chunk in chunks:
        if len(chunk) < 8:
            continue
        letters = [c for c in chunk if c.isalpha()]
        run = best = 0
        for c in chunk:
            run = run + 1 if c.isalpha() and c not in "aeiou" else 0
            best = max(best, run)
        if best >= 7 or _transitions(chunk) >= 4:
            return chunk
        if len(letters) >= 10 and sum(1 for c in letters if c in VOWELS) <= 0.15 * len(letters):
            return chunk
        if sum(1 for k in _KEYBOARD if k in chunk) >= 2:
            return chunk
    return ""


@check("SENDER_RANDOM_ADDRESS", "sender")
def sender_random_address(ev: Evidence) -> Hit | None:
    """The sender's address or domain is a string typed at random (``5rbmtjfyfj@...``,
    ``...@7nula1hdz2d8epezk142.com``): a throw-away identity made by a machine, not a name
    anyone chose."""
    sender = ev.from_addr
    if sender is None or "@" not in sender.address:
        return None
    local = sender.address.split("@", 1)[0]
    if set(local) & set("#=%/"):
        return None  # an encoded bounce or tracking address of a mail service, not a name
    owner = sender.registrable_domain.split(".")[0] if sender.registrable_domain else ""
    for where, text in (("local part", local), ("domain", owner)):
        found = random_label(text)
        if found:
            return Hit(evidence=[f"from: {sender.address}", f"{where}: {found}"],
                       params={"address": sender.address, "part": found})
    return None


_PLACEHOLDERS = ("undisclosed", "recipients:;", "[to]", "{to}", "%to%", "[email]", "{email}")
_SEPARATORS_RE = re.compile(r"[\s<>,;\"']+")
MANY_RECIPIENTS = 15


@check("RECIPIENTS_UNDISCLOSED", "structure")
def recipients_undisclosed(ev: Evidence) -> Hit | None:
    """The mail does not say who it is for: no To at all, "undisclosed recipients", a template
    placeholder, the sender writing to itself (the targets hidden in Bcc), or a long list of
    strangers. Mail meant for you names you."""
    if ev.inline_forward is not None:
        return None  # the forwarder chose the outer recipients
    values = ev.message.get_all("To")
    raw = " ".join(values)[:5000]
    low = raw.lower()
    why = ""
    if ev.is_delivery_report:
        return None  # delivery and feedback reports go to the sender they report to
    if not raw.strip():
        if any(v.strip() for v in ev.message.get_all("Cc")):
            return None  # Cc names the readers
        why = "no recipient"
    elif any(p in low for p in _PLACEHOLDERS):
        why = "placeholder: " + raw.strip()[:60]
    else:
        found = [t for t in _SEPARATORS_RE.split(low) if "@" in t]
        sender = ev.header_from.address if ev.header_from else ""
        if len(found) >= MANY_RECIPIENTS:
            why = f"{len(found)} recipients"
        elif sender and found and all(a.strip("<>") == sender for a in found) and not ev.list_info:
            why = "sent to the sender itself"
    if not why:
        return None
    return Hit(evidence=[f"to: {raw.strip()[:100] or '(none)'}", why], params={"why": why},
               confidence=0.4 if why == "no recipient" else 1.0)  # no To alone: Bcc mail does that too


def _bare_host(host: str) -> bool:
    host = host.strip().strip("[]").lower()
    return bool(host) and ("." not in host or host.startswith("localhost"))


@check("SERVER_SCRIPT_SENDER", "sender")
def server_script_sender(ev: Evidence) -> Hit | None:
    """The mail was sent by a script on a server, not by a mail system: the bounce address is
    ``root@`` or ``www-data@``, or the message id names a machine that has no domain
    (``localhost``, ``ubuntu-s-1vcpu...``). Companies send through named mail servers."""
    lex = lexicons()
    rp = ev.return_path
    if rp is not None and "@" in rp.address:
        local, domain = rp.address.split("@", 1)
        if local in lex.script_locals or _bare_host(domain):
            return Hit(evidence=[f"return-path: {rp.address}"], params={"what": rp.address})
    if ev.list_info is None and ev.message_id_domain and _bare_host(ev.message_id_domain) \
            and ev.message_id_domain.startswith(lex.host_prefixes) and not ev.message_id_domain.startswith("localhost"):
        return Hit(evidence=[f"message-id: {ev.message_id[:120]}"], params={"what": ev.message_id_domain},
                   confidence=0.7)
    return None


@check("BULK_FOOTER_WITHOUT_LIST", "structure")
def bulk_footer_without_list(ev: Evidence) -> Hit | None:
    """The mail carries the footer of unsolicited bulk mail ("to be removed from our list ...",
    "this is not spam") but no list headers: a list the reader joined names itself in
    ``List-Unsubscribe`` or ``List-Id``; a list bought or scraped tells the reader how to get off it."""
    if ev.has_list_headers:
        return None
    found = lures(ev).get("bulk_footer", [])
    if not found:
        return None
    phrases = [h.phrase for h in found[:3]]
    return Hit(evidence=[f"phrase: {p}" for p in phrases], params={"phrases": "」「".join(phrases),
               "phrases_en": '", "'.join(phrases)})
