"""Checks on who the mail says it is from."""

from __future__ import annotations

import re

from ..brands import Brand, BrandHit
from ..domains import has_known_suffix, registrable_domain
from ..evidence import Evidence
from ..lists import in_list
from ..lookalike import find_lookalike
from ..models import Address
from ..normalize import fold
from . import Hit, check

# Words that say "an organisation wrote this" in a display name.
_COMPANY_RE = re.compile(
    r"(株式会社|\(株\)|㈱|有限会社|銀行|カード|事務局|サポート|センター|カスタマー|運営|公式|"
    r"\b(?:inc|ltd|llc|corp|co|gmbh|bank|support|service|services|team|security|billing|"
    r"helpdesk|help desk|customer care|administrator|admin|account|accounts|ltda|s\.a)\b\.?)",
    re.IGNORECASE,
)


def official_list(brand: Brand, most: int = 3) -> str:
    """The brand's first official domains, for a sentence (the full list is in the report)."""
    shown = ", ".join(brand.official_domains[:most]) or "-"
    return shown + (", …" if len(brand.official_domains) > most else "")


# Addresses a mail system itself sends from: on a brand's free-mail domain they are the brand.
SYSTEM_LOCALPARTS = frozenset({"postmaster", "mailer-daemon", "mail-daemon", "no-reply", "noreply"})


def brand_owns(ev: Evidence, brand: Brand, sender: Address) -> bool:
    """The sender address belongs to ``brand``: an official domain, or the mail system's own
    address on a domain the brand runs for its users (postmaster@outlook.com)."""
    if ev.brand_index.is_official(brand, sender.registrable_domain):
        return True
    local = sender.address.split("@", 1)[0]
    owned = (*brand.free_mail_domains, *brand.shared_domains)
    if sender.registrable_domain in brand.free_mail_domains and sender.domain != sender.registrable_domain:
        # notify.proton.me: a mail service's users get addresses at its domain itself, never below it
        # (unlike shared domains, whose subdomains are the customers': tenant.onmicrosoft.com)
        return True
    return local in SYSTEM_LOCALPARTS and sender.registrable_domain in owned


# How a display name can frame a brand as the sender ("Max Steller von Amazon", "Hilan from Ledger",
# "Nano Security Team", "Support Team, Ledger", "Informe BB"): a word that links a person to the brand
# right before it, a department right after it, or only role words before it. Such a name claims the
# brand even where the name alone is ambiguous, unlike "Lockergnome Apple Core", where another name
# comes first. Word lists are short on purpose: every word must read as "speaking for" in any context.
_NAME_WORD_RE = re.compile(r"[^\W_]{2,}")
_LINK_WORDS = frozenset({"von", "vom", "from", "at", "de", "da", "do", "di", "of", "der", "des", "du", "van", "bei",
                         "chez", "del", "dos", "das"})
_ROLE_WORDS = frozenset({
    "support", "team", "security", "service", "services", "customer", "helpdesk", "help", "desk", "billing",
    "account", "accounts", "alert", "alerts", "notice", "notification", "notifications", "message", "info",
    "informe", "aviso", "alerta", "notificação", "notificacao", "nachricht", "mitteilung", "kundenservice",
    "kundendienst", "suporte", "atendimento", "servicio", "soporte", "équipe", "equipe", "equipo", "admin",
    "administrator", "mail", "verification", "verify",
})
_PLAIN_WORDS = frozenset({"the", "your", "ihr", "ihre", "dein", "deine", "seu", "sua", "votre", "el", "la", "le",
                          "die", "das", "der", "uw", "je", "mr", "mrs", "ms", "dr", "new", "official"})
_DEPT_AFTER_RE = re.compile(
    r"[\s\-_.,:|/]*(?:support|team|security|service|services|customer|helpdesk|help ?desk|billing|account|"
    r"accounts|kundenservice|kundendienst|suporte|atendimento|servicio|soporte|équipe|equipe|equipo|admin|"
    r"notifications?|alerts?)(?![^\W_])")


def _name_frame(folded: str, pos: int, end: int) -> tuple[bool, bool]:
    """(another name comes first, the name frames the brand as its sender) for a brand found at
    ``folded[pos:end]`` of a display name. Only the 60 characters on each side are read."""
    words = _NAME_WORD_RE.findall(folded[max(0, pos - 60):pos])
    framed = bool(_DEPT_AFTER_RE.match(folded, end, end + 60))
    if words and (words[-1] in _LINK_WORDS or words[-1] in _ROLE_WORDS):
        framed = True
    other = [w for w in words if w not in _ROLE_WORDS and w not in _PLAIN_WORDS and w not in _LINK_WORDS]
    framed = framed or (bool(words) and not other and any(w in _ROLE_WORDS for w in words))
    return bool(other) and not framed, framed


def _brand_mismatch(ev: Evidence, hits: list[BrandHit], shown: str, where: str, confidence: float) -> Hit | None:
    sender = ev.from_addr
    if sender is None:
        return None  # no From header at all; a From without an address is still checked
    folded = fold(shown)
    for hit in hits:
        brand = hit.brand
        if not brand.official_domains or brand_owns(ev, brand, sender):
            continue
        weak = hit.weak
        conf = confidence
        pos = folded.find(hit.matched)
        if where == "name" and hit.matched.isascii() and pos >= 0:
            other_first, framed = _name_frame(folded, pos, pos + len(hit.matched))
            if other_first:
                conf *= 0.5  # "Lockergnome Apple Core": another name comes first
            weak = weak and not framed  # "Max Steller von Amazon": the frame removes the doubt
        conf *= 0.6 if weak else 1.0
        return Hit(
            evidence=[f"{where}: {shown}", f"from: {sender.address or '(none)'}",
                      f"official: {official_list(brand)}"],
            params={"brand": brand.name, "brand_en": brand.name_en, "domain": sender.domain or "(none)",
                    "official": official_list(brand), "name": shown},
            confidence=round(conf, 2),
        )
    return None


@check("DISPLAY_NAME_BRAND_MISMATCH", "sender")
def display_name_brand_mismatch(ev: Evidence) -> Hit | None:
    """The display name names a brand; the address is not on that brand's domains."""
    name = ev.from_addr.display_name_raw if ev.from_addr else ""
    return _brand_mismatch(ev, ev.brands_in_name, name, "name", 1.0)


@check("SUBJECT_BRAND_MISMATCH", "sender")
def subject_brand_mismatch(ev: Evidence) -> Hit | None:
    """The subject claims a brand (the display name does not); the sender is not the brand.
    A brand that merely opens the subject ("Apple: new iPod") counts for less."""
    if ev.brands_in_name:
        return None  # the display-name check speaks for it
    return (_brand_mismatch(ev, ev.subject_claims, ev.subject, "subject", 1.0)
            or _brand_mismatch(ev, ev.subject_leads_with, ev.subject, "subject", 0.4))


@check("BODY_BRAND_CLAIM", "sender")
def body_brand_claim(ev: Evidence) -> Hit | None:
    """The body speaks as a brand or to its customers ("Lieber Decathlon-Kunde", "Ihr Lidl-Team",
    "Cher client Microsoft"), but the sender is not on that brand's domains. Only greetings,
    signatures and account phrases count: newsletters and discussions name brands all the time,
    and a brand's own newsletter comes from its own domain. Silent when the display name or
    subject already claims the brand (their checks speak for it)."""
    sender = ev.from_addr
    claimed = {h.brand.id for h in (*ev.brands_in_name, *ev.subject_claims)}
    for claim in ev.body_claims:
        brand = claim.hit.brand
        if not brand.official_domains or brand.id in claimed:
            continue
        if sender is not None and brand_owns(ev, brand, sender):
            continue
        address = sender.address if sender is not None and sender.address else "(none)"
        return Hit(
            evidence=[f"body: {claim.phrase}", f"from: {address}", f"official: {official_list(brand)}"],
            params={"brand": brand.name, "brand_en": brand.name_en, "phrase": claim.phrase,
                    "domain": sender.domain if sender is not None and sender.domain else "(none)",
                    "official": official_list(brand)},
        )
    return None


@check("SENDER_LOOKALIKE_DOMAIN", "sender")
def sender_lookalike_domain(ev: Evidence) -> Hit | None:
    sender = ev.from_addr
    if sender is None or not sender.registrable_domain:
        return None
    look = find_lookalike(sender.registrable_domain, ev.brand_index)
    if look is None:
        return None
    return Hit(evidence=[f"from: {sender.address}", f"imitates: {look.official} ({look.kind})"],
               params={"domain": sender.registrable_domain, "official": look.official,
                       "brand": look.brand.name, "brand_en": look.brand.name_en, "kind": look.kind})


def _domain_mismatch(ev: Evidence, other: str, label: str) -> Hit | None:
    sender = ev.from_addr
    if sender is None or not sender.registrable_domain or not other:
        return None
    if other == sender.registrable_domain:
        return None
    return Hit(evidence=[f"from: {sender.registrable_domain}", f"{label}: {other}"],
               params={"from": sender.registrable_domain, "other": other})


@check("REPLY_TO_DOMAIN_MISMATCH", "sender")
def reply_to_domain_mismatch(ev: Evidence) -> Hit | None:
    """Replies go to another organisation than the one the mail is from."""
    if ev.list_info is not None:
        return None  # lists set Reply-To to themselves or to the original sender
    for addr in ev.reply_to:
        if addr.registrable_domain:
            return _domain_mismatch(ev, addr.registrable_domain, "reply-to")
    return None


def _free_mail(domain: str) -> bool:
    return in_list("free_email_providers", domain) or in_list("japanese_free_email_providers", domain)


@check("REPLY_TO_FREEMAIL", "sender")
def reply_to_freemail(ev: Evidence) -> Hit | None:
    """Replies go to a free-mail account although the mail comes from an organisation's
    domain: the classic set-up of advance-fee and invoice fraud."""
    sender = ev.from_addr
    if ev.list_info is not None or sender is None or not sender.domain or _free_mail(sender.domain):
        return None
    for addr in ev.reply_to:
        if addr.domain and _free_mail(addr.domain) and addr.registrable_domain != sender.registrable_domain:
            return Hit(evidence=[f"from: {sender.address}", f"reply-to: {addr.address}"],
                       params={"reply_to": addr.address, "from": sender.domain})
    return None


@check("RETURN_PATH_DOMAIN_MISMATCH", "sender")
def return_path_domain_mismatch(ev: Evidence) -> Hit | None:
    if ev.list_info is not None or ev.return_path is None:
        return None
    return _domain_mismatch(ev, ev.return_path.registrable_domain, "return-path")


@check("MESSAGE_ID_DOMAIN_MISMATCH", "sender")
def message_id_domain_mismatch(ev: Evidence) -> Hit | None:
    if ev.list_info is not None:
        return None
    return _domain_mismatch(ev, registrable_domain(ev.message_id_domain), "message-id")


@check("FREEMAIL_CLAIMS_COMPANY", "sender")
def freemail_claims_company(ev: Evidence) -> Hit | None:
    """A free-mail account presents itself as a company or a brand."""
    sender = ev.from_addr
    if sender is None or not sender.domain:
        return None
    if not _free_mail(sender.domain):
        return None
    if sender.address.split("@", 1)[0] in SYSTEM_LOCALPARTS:
        return None  # postmaster@ of a free-mail provider is the provider itself
    if ev.brands_in_name and brand_owns(ev, ev.brands_in_name[0].brand, sender):
        return None  # the provider writing as itself (Proton <notify@notify.proton.me>)
    claim = ev.brands_in_name[0].brand.name if ev.brands_in_name else ""
    if not claim:
        m = _COMPANY_RE.search(sender.display_name_raw)
        claim = m.group(0) if m else ""
    if not claim:
        return None
    return Hit(evidence=[f"display name: {sender.display_name_raw}", f"free-mail domain: {sender.domain}"],
               params={"name": sender.display_name_raw, "claim": claim, "domain": sender.domain})


@check("INVISIBLE_CHARACTERS", "sender")
def invisible_characters(ev: Evidence) -> Hit | None:
    """Zero-width or invisible characters in the subject or display name, used to slip
    brand names past filters (``【メルカ\u2064リ】``)."""
    total = ev.invisible_in_subject + ev.invisible_in_name
    if total == 0:
        return None
    return Hit(evidence=[f"subject: {ev.invisible_in_subject}", f"display name: {ev.invisible_in_name}"],
               params={"count": str(total)})


@check("BRAND_SENDER_UNNAMED_ORIGIN", "sender")
def brand_sender_unnamed_origin(ev: Evidence) -> Hit | None:
    """The From address is on a brand's official domain, yet the server that handed the mail
    over has no reverse DNS. Brands send through named servers (their own or a mail
    provider's); an unnamed one means the From address is most likely forged."""
    hop, sender = ev.origin, ev.from_addr
    if hop is None or hop.rdns or not hop.ip or sender is None or not sender.registrable_domain:
        return None
    brand = ev.brand_index.by_domain(sender.registrable_domain)
    if brand is None or sender.registrable_domain in brand.user_mail_domains:
        return None  # carrier domains (docomo.ne.jp) are their subscribers' addresses too
    if ev.list_info is not None and hop.helo and registrable_domain(hop.helo) in ev.list_info.domains:
        return None  # the unnamed server greets as the mailing list's own: it relayed a member's post
    return Hit(evidence=[f"from: {sender.address}", f"origin: {hop.ip} (no reverse DNS)", f"helo: {hop.helo or '-'}"],
               params={"brand": brand.name, "domain": sender.registrable_domain, "ip": hop.ip})


@check("SENDER_BRAND_IN_FOREIGN_DOMAIN", "sender")
def sender_brand_in_foreign_domain(ev: Evidence) -> Hit | None:
    """A brand's name built into someone else's sender domain (``support-trustwallet.com``,
    ``amazon-co-jp.security-info.cn``)."""
    sender = ev.from_addr
    if sender is None or not sender.domain:
        return None
    found = ev.brand_index.in_host(sender.domain)
    if not found:
        return None
    brand, token = found[0]
    return Hit(evidence=[f"from: {sender.address}", f"token: {token}", f"official: {official_list(brand)}"],
               params={"domain": sender.domain, "token": token, "brand": brand.name,
                       "official": official_list(brand)})


# An address in the name ("service@paypal.com"), or a name that is nothing but a domain or URL.
_ADDRESS_IN_NAME_RE = re.compile(r"(?i)[\w.+-]+@((?:[a-z0-9-]+\.)+[a-z]{2,})")
_DOMAIN_NAME_RE = re.compile(r"(?i)^\W*(?:https?://)?(?:www\.)?((?:[a-z0-9-]+\.)+[a-z]{2,})/?\W*$")


@check("DISPLAY_NAME_OTHER_ADDRESS", "sender")
def display_name_other_address(ev: Evidence) -> Hit | None:
    """The display name shows an address or domain other than the real sender's
    (``"service@paypal.com" <x@evil.example>``): readers see the name, not the address."""
    sender = ev.from_addr
    if sender is None or not sender.registrable_domain:
        return None
    name = sender.display_name_raw[:300]  # bounded: the address pattern is not linear on long runs
    for m in (*_ADDRESS_IN_NAME_RE.finditer(name), *filter(None, [_DOMAIN_NAME_RE.match(name)])):
        shown = registrable_domain(m.group(1)) if has_known_suffix(m.group(1)) else ""
        if shown and shown != sender.registrable_domain and "." in shown:
            return Hit(evidence=[f"display name: {sender.display_name_raw}", f"address: {sender.address}"],
                       params={"shown": m.group(0), "domain": sender.registrable_domain})
    return None


# Latin letters mixed in one word with look-alike Greek or Cyrillic ones ("Ρeρe", "Αirdrορ"):
# nobody types that by accident. Words are split first and then tested, which keeps the cost
# linear (a single pattern over the whole text backtracks badly on long runs of letters).
_LOOKALIKE_RE = re.compile("[\u0370-\u03ff\u0400-\u04ff]")
_LATIN_RE = re.compile("[a-zA-Z]")
_WORD_RE = re.compile(r"[^\W\d_]+")


def _mixed_words(text: str) -> list[str]:
    if not _LOOKALIKE_RE.search(text):
        return []
    return [w for w in _WORD_RE.findall(text) if _LATIN_RE.search(w) and _LOOKALIKE_RE.search(w)]


@check("MIXED_SCRIPT_NAME", "sender")
def mixed_script_name(ev: Evidence) -> Hit | None:
    """A word in the sender name or subject mixes Latin letters with Greek or Cyrillic look-alikes,
    to read as a brand to people and as nothing to filters."""
    name = ev.from_addr.display_name_raw if ev.from_addr else ""
    words = [*_mixed_words(name), *_mixed_words(ev.subject)]
    if not words:
        return None
    return Hit(evidence=[f"word: {w}" for w in words[:5]], params={"words": ", ".join(words[:3])})
