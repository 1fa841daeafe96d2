"""Traits of ads sent to bought or scraped lists that say too little for the text model: a sender
address made for one run, a display name that is itself the ad, spam vocabulary spelled to slip
past word filters, a subject dressed in symbols, padding that makes every copy differ, a body that
is little more than a link, a From header with no address in it.

None of them says the mail deceives; each is spam evidence (kind "spam"), weak alone. Every check
reads bounded prefixes of the headers and text, with no per-character Python loops, so the cost
stays linear on hostile input.
"""

from __future__ import annotations

import re

from ..evidence import Evidence
from ..normalize import fold
from ..scam_lexicon import find_lures
from . import Hit, check
from .links import clickable

MAX_SCAN = 20_000  # characters of body text a check reads
_NAME_MAX = 300  # characters of a display name or subject read

_SYSTEM_NAMES = ("mailer-daemon", "postmaster", "mail delivery", "mail administrator")


def _system_mail(ev: Evidence) -> bool:
    """Mail of a mail system, also when its From carries no address but names the system."""
    if ev.from_mail_system:
        return True
    sender = ev.header_from
    who = f"{sender.display_name} {sender.address}".lower() if sender else (ev.message.get("From") or "")[:200].lower()
    return any(name in who for name in _SYSTEM_NAMES)


# --- the sender address ------------------------------------------------------------------------

# first_last_12345 (a name pair and a serial: one address per run of a mailer),
# a host of single-character labels (r.a.g.n.a.r.x.k60.example.shop), a local part that is the
# hex of some string (the recipient's address encoded into the sender's).
_NAME_SERIAL_RE = re.compile(r"^[a-z]{2,12}_[a-z]{2,14}_\d{4,6}$")
_LETTER_LABELS_RE = re.compile(r"(?:^|\.)(?:[a-z0-9]\.){4}")
_HEX_LOCAL_RE = re.compile(r"^(?:[0-9a-f]{2}){10,64}$")


def _hex_text(local: str) -> bool:
    """``local`` is hex that decodes to printable ASCII text with letters."""
    if not _HEX_LOCAL_RE.match(local) or local.isdigit():
        return False
    decoded = bytes.fromhex(local)
    return decoded.isascii() and decoded.decode("ascii").isprintable() and any(c.isalpha() for c in decoded.decode())


def throwaway_reason(address: str) -> str:
    """Why ``address`` looks made for one mailing run, or "" when it does not."""
    local, _, domain = address[:400].lower().rpartition("@")
    if not local or not domain:
        return ""
    if _NAME_SERIAL_RE.match(local):
        return "name pair and serial number"
    if _LETTER_LABELS_RE.search(domain):
        return "host of single-character labels"
    if _hex_text(local):
        return "hex-encoded text as the local part"
    return ""


@check("SENDER_THROWAWAY_ADDRESS", "sender")
def sender_throwaway_address(ev: Evidence) -> Hit | None:
    """The sender address is built for one run of a mass mailer: a name pair with a serial number
    (``lina_jeri_63097@``), a host spelled in single-character labels (``r.a.g.n.a.r.x.k60.``),
    or a local part that is hex-encoded text (often the recipient's own address). People and
    companies pick addresses they can be answered at; such addresses are generated."""
    sender = ev.from_addr
    if sender is None or not sender.address or ev.is_delivery_report:
        return None
    reason = throwaway_reason(sender.address)
    if not reason:
        return None
    return Hit(evidence=[f"sender: {sender.address[:120]}", f"pattern: {reason}"],
               params={"address": sender.address[:80], "reason": reason})


# --- the display name --------------------------------------------------------------------------

_AD_LEXICONS = ("ad", "offer", "dating", "health")
_PERCENT_OFF_RE = re.compile(r"\d{1,2}\s?%|%\s?\d{1,2}\b")


@check("DISPLAY_NAME_AD", "sender")
def display_name_ad(ev: Evidence) -> Hit | None:
    """The sender's display name is an ad, not a name: a sale, a discount, a dating or diet
    offer (``*SALE ...*``, ``Sex Dating``, ``Grüner Kaffee DIÄT``). A shop names itself; a
    spammer puts the pitch where the name goes, since that is what an inbox list shows."""
    sender = ev.from_addr
    if sender is None or ev.is_delivery_report:
        return None
    name = fold(sender.display_name_raw[:_NAME_MAX])
    if not name:
        return None
    found = find_lures(name)
    phrases = [h.phrase for lex in _AD_LEXICONS for h in found.get(lex, [])]
    disguised = disguised_words(sender.display_name_raw[:_NAME_MAX])
    if not phrases and not disguised:
        return None
    shown = phrases[:3] or disguised[:3]
    return Hit(evidence=[f"display name: {sender.display_name_raw[:120]}", *(f"wording: {p}" for p in shown)],
               params={"name": sender.display_name_raw[:80], "wording": ", ".join(shown)})


# --- spam vocabulary in disguise ---------------------------------------------------------------

# Words that word filters look for in bulk mail, and that spammers therefore spell with lookalike
# characters (VlAGRA, C!al!s, FR33, C0NGRATS) or split with punctuation (V.i.a.g.r.a).
SPAM_VOCABULARY = frozenset({
    "viagra", "cialis", "levitra", "pharmacy", "pills", "casino", "poker", "jackpot", "bonus", "spins",
    "winner", "congrats", "congratulations", "prize", "reward", "rewards", "gift", "porn", "dating",
    "girls", "singles", "naked", "nude", "cash", "money", "loan", "credit", "offer", "sale", "discount",
    "coupon", "free", "order", "weight", "diet", "attempt", "account", "password", "verify", "confirm",
    "payment", "bitcoin", "crypto", "urgent", "winning", "claim", "dollars",
})
_SHORT_VOCABULARY = frozenset({"sex", "win", "won", "for", "you", "your"})  # only as a whole token
_LOOKALIKES = str.maketrans({"0": "o", "1": "i", "!": "i", "|": "i", "3": "e", "4": "a", "@": "a", "$": "s",
                             "5": "s"})
_T = r"[A-Za-z0-9!|@$]"
# A whole token of 3 to 24 such characters that could read differently from how it is spelled: it
# holds a digit or symbol, a small L next to capitals, or a capital I after small letters. Every
# other token reads as itself and cannot hide a word, so it is never looked at (most of any text).
_CANDIDATE_RE = re.compile(
    rf"(?<!{_T})(?={_T}{{3,24}}(?!{_T}))"
    rf"(?:(?={_T}*?[0-9!|@$])|(?={_T}*?l)(?={_T}*?[A-Z])|(?={_T}+?I)(?={_T}*?[a-z])){_T}+")
_SPLIT_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9](?:[.\-_*~\u00b7 ][A-Za-z0-9]){3,14}(?![A-Za-z0-9])")
_SPLIT_SEP_RE = re.compile(r"[.\-_*~\u00b7 ]")
_VOCAB_RE = re.compile("|".join(sorted(SPAM_VOCABULARY, key=len, reverse=True)))


def _key(token: str) -> str:
    """``token`` read as the reader reads it: a small L among capitals is an I (``VlAGRA``), a
    capital I inside small letters an L (``CouId``), digits and symbols the letters they imitate."""
    upper = sum(c.isupper() for c in token)
    lower = sum(c.islower() for c in token)
    if upper > lower:
        token = token.replace("l", "I")
    elif lower > upper and "I" in token[1:]:
        token = token[0] + token[1:].replace("I", "l")
    return token.lower().translate(_LOOKALIKES)


def _disguised_token(token: str) -> str:
    """The spam word ``token`` spells with lookalike characters, or ""."""
    if sum(c.isalpha() for c in token) * 2 < len(token):
        return ""  # a code or a number, not a word
    key = _key(token)
    if key in _SHORT_VOCABULARY:
        return key if token.lower() != key else ""
    for m in _VOCAB_RE.finditer(key):
        if token[m.start():m.end()].lower() != m.group(0):
            return m.group(0)
    return ""


def disguised_words(text: str) -> list[str]:
    """Spam words in ``text`` written with lookalike characters or split by punctuation, each as
    ``"raw -> word"``, at most five."""
    found: list[str] = []
    for m in _CANDIDATE_RE.finditer(text):
        word = _disguised_token(m.group(0))
        if word:
            found.append(f"{m.group(0)} -> {word}")
            if len(found) >= 5:
                return found
    for m in _SPLIT_RE.finditer(text):
        joined = _SPLIT_SEP_RE.sub("", m.group(0))
        if _key(joined) in SPAM_VOCABULARY or _key(joined) in _SHORT_VOCABULARY:
            found.append(f"{m.group(0)} -> {joined.lower()}")
            if len(found) >= 5:
                break
    return found


@check("SPAM_WORD_DISGUISED", "content")
def spam_word_disguised(ev: Evidence) -> Hit | None:
    """Words that spam filters look for are spelled with lookalike characters or cut up by
    punctuation: ``VlAGRA`` (small L for capital I), ``C!al!s``, ``C0NGRATS``, ``F-R-E-E``. The
    reader still reads the word; only a filter is meant to miss it. No honest sender misspells
    its own offer."""
    if ev.is_delivery_report:
        return None
    name = ev.from_addr.display_name_raw[:_NAME_MAX] if ev.from_addr else ""
    found = disguised_words(ev.subject_raw[:_NAME_MAX] + "\n" + name + "\n" + ev.text[:MAX_SCAN])
    if not found:
        return None
    return Hit(evidence=[f"word: {w}" for w in found], params={"words": ", ".join(found[:3])})


# --- the subject and name dressed in symbols ---------------------------------------------------

_WRAP = "_#*~"
_JOINED_RE = re.compile(r"[^\W_]_+(?=[^\W_])")


def dressed(text: str) -> bool:
    """``text`` is wrapped in filler symbols (``_Message_fOr_YOU_``, ``#Prize_Survey*``) or its
    words are joined by underscores instead of blanks."""
    text = text.strip()[:_NAME_MAX]
    if len(text) < 6:
        return False
    if text[0] in _WRAP and text[-1] in _WRAP and any(c.isalpha() for c in text):
        return True
    return " " not in text and len(_JOINED_RE.findall(text)) >= 3


@check("SUBJECT_SYMBOL_DRESSED", "content")
def subject_symbol_dressed(ev: Evidence) -> Hit | None:
    """The subject or the sender's name is dressed in filler symbols (``_You're_on_our_List_``,
    ``__C0NGRATS__``, ``#Rewards_Survey*``): blanks swapped for underscores and a frame of
    symbols make each copy differ for a filter and catch the eye in a list. People and shops
    write their subjects and names in words."""
    if ev.is_delivery_report:
        return None
    name = ev.from_addr.display_name_raw if ev.from_addr else ""
    for label, value in (("subject", ev.subject_raw), ("display name", name)):
        if value and dressed(value):
            shown = value.strip()
            return Hit(evidence=[f"{label}: {shown[:120]}"], params={"where": label, "text": shown[:80]})
    return None


# --- padding -----------------------------------------------------------------------------------

# Hex that is part of an identifier (a UUID, a Message-ID, a file name) is left alone.
_HEX_RE = re.compile(r"(?<![0-9A-Za-z_@.-])[0-9a-f]{8,64}(?![0-9A-Za-z_@.-])")
HEX_LEAST = 4  # distinct hex blocks with letters and digits
DIGITS_LEAST = 40  # numbers in a row


def _longest_number_run(text: str) -> int:
    best = run = 0
    for token in text.split():
        if token.isdigit():
            run += 1
            best = max(best, run)
        else:
            run = 0
    return best


@check("HASH_BUSTER_PADDING", "content")
def hash_buster_padding(ev: Evidence) -> Hit | None:
    """The text carries padding that means nothing to a reader: blocks of random hex
    (``72af29e5#0461·1dcccc3c5758``) or a long run of random numbers. Filters that recognise a
    mail by its checksum see a new mail in every copy; no reader is meant to read it."""
    if _system_mail(ev):
        return None
    text = ev.text[:MAX_SCAN]
    blocks = {b for b in _HEX_RE.findall(text) if not b.isdigit() and not b.isalpha()}  # a repeated ID is one
    if len(blocks) >= HEX_LEAST:
        return Hit(evidence=[f"hex blocks: {len(blocks)}", f"example: {' '.join(sorted(blocks)[:3])}"],
                   params={"what": f"{len(blocks)} hex blocks"})
    run = _longest_number_run(text)
    if run >= DIGITS_LEAST:
        return Hit(evidence=[f"numbers in a row: {run}"], params={"what": f"{run} numbers in a row"})
    return None


# --- a body that is only a link ----------------------------------------------------------------

_URL_RE = re.compile(r"(?i)\b(?:https?://|www\.)\S{1,2000}")
_WORD_RE = re.compile(r"\w{2,}")
BARE_WORDS_MOST = 8  # words of text besides the links
BARE_CHARS_MOST = 60  # letters of those words


@check("LINK_ONLY_BODY", "content")
def link_only_body(ev: Evidence) -> Hit | None:
    """The body says next to nothing besides its link(s): eight words or fewer ("Click for date
    http://...", "SALE - 50% https://..."), no attachment to speak of. A person writes a line
    about what they send; a bulk mailer only needs the click."""
    if ev.is_delivery_report or ev.list_info is not None:
        return None
    links = clickable(ev)
    if not links:
        return None
    if any(p.disposition == "attachment" for p in ev.message.parts[:20]):
        return None
    rest = _URL_RE.sub(" ", ev.text[:4000])
    words = _WORD_RE.findall(rest)
    if len(words) > BARE_WORDS_MOST or sum(map(len, words)) > BARE_CHARS_MOST:
        return None  # (Japanese and Chinese run a sentence into one "word": their length counts too)
    return Hit(evidence=[f"words besides links: {len(words)}", f"link: {links[0].url[:100]}"],
               params={"words": str(len(words)), "host": links[0].host[:80]})


# --- a From header without an address ----------------------------------------------------------


@check("FROM_NO_ADDRESS", "sender")
def from_no_address(ev: Evidence) -> Hit | None:
    """The From header names a sender but holds no address one could answer (``Ihr Rabatt <>``,
    ``<now_loseweight>``): the mailer left it out, so replies and complaints go nowhere. Mail
    systems and people always give an address; delivery reports are left alone."""
    if ev.inline_forward is not None:
        return None  # the From header is the forwarder's; the forwarded block gave its own sender
    raw = ev.message.get("From") or ""
    if not raw.strip() or _system_mail(ev) or raw.strip() == "<>":
        return None
    sender = ev.from_addr
    if sender is not None and all(sender.address.rpartition("@")[::2]):
        return None
    return Hit(evidence=[f"From: {' '.join(raw.split())[:120]}"], params={"from": " ".join(raw.split())[:80]})


# --- a sender with nothing to do with its links ------------------------------------------------


def _brand_label(domain: str) -> str:
    """The name part of a registrable domain (``shop`` of ``shop.co.uk``)."""
    return domain.split(".", 1)[0]


@check("SENDER_UNRELATED_TO_LINKS", "sender")
def sender_unrelated_to_links(ev: Evidence) -> Hit | None:
    """Nothing the mail links to or loads belongs to the sender: the From domain (a hardware shop,
    a school) appears in no link, and no link host carries its name. A shop links to its shop and
    a newsletter to its publisher; an ad sent through someone else's mailbox links elsewhere.
    List mail (List-Unsubscribe, List-Id) is left alone: an ESP may rewrite every link. A fact for
    composites, worth nothing alone."""
    sender = ev.from_addr
    if sender is None or not sender.registrable_domain or ev.is_delivery_report:
        return None
    if ev.has_list_headers:
        return None
    domains = {link.registrable_domain for link in ev.links[:200] if link.registrable_domain}
    if not domains:
        return None
    own = sender.registrable_domain
    label = _brand_label(own)
    if own in domains or any(label in link.host for link in ev.links[:200] if len(label) >= 3):
        return None
    brand = ev.brand_index.by_domain(own)
    if brand is not None and any(ev.brand_index.is_official(brand, d) or d in brand.free_mail_domains
                                 for d in domains):
        return None  # microsoft.com linking to account.live.com: one brand's domains
    shown = sorted(domains)[:4]
    return Hit(evidence=[f"sender domain: {own}", f"link domains: {', '.join(shown)}"],
               params={"domain": own, "links": ", ".join(shown), "count": str(len(domains))})
