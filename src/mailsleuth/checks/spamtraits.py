"""Traits of unsolicited bulk mail that need no lure wording: a body in a script far from where
the mail is going (SpamAssassin's CHARSET_FARAWAY), a throw-away token tacked on the subject,
the "ADV:" label of advertising, a "reply REMOVE" footer, words split by HTML comments.

None of these says what the mail sells, so each is weak spam evidence on its own. Every check
reads bounded prefixes of the subject, headers and text, so the cost stays linear on hostile input.
"""

from __future__ import annotations

import re

from ..evidence import Evidence
from . import Hit, check
from .scam import VOWELS

MAX_SCAN = 20_000  # characters of body text a check reads

# --- a body in a far script -------------------------------------------------------------------

# Scripts that SpamAssassin's ok_locales would call far from a Western reader, with the country
# code top-level domains where a reader of them lives. Han is read in Japan too (kanji), so .jp
# counts as near for it; Japanese itself (kana) is never far here.
_SCRIPTS: dict[str, tuple[str, frozenset[str]]] = {
    "han": ("Chinese", frozenset({"cn", "tw", "hk", "mo", "sg", "jp", "my"})),
    "hangul": ("Korean", frozenset({"kr", "kp"})),
    "thai": ("Thai", frozenset({"th"})),
}
_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
_DOMAIN_RE = re.compile(r"@([A-Za-z0-9.-]+)")
_FOR_RE = re.compile(r"\bfor\s+<?([^\s<>;@]{1,64}@[A-Za-z0-9.-]{1,255})")
FAR_LEAST = 30  # characters of the far script, at the least


_SCRIPT_RES = {
    "han": re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]"),
    "kana": re.compile(r"[\u3040-\u30ff\uff66-\uff9f]"),
    "hangul": re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]"),
    "thai": re.compile(r"[\u0e00-\u0e7f]"),
    "latin": re.compile(r"[A-Za-z]"),
}


def script_counts(text: str) -> dict[str, int]:
    """How many characters of each script ``text`` holds (han, kana, hangul, thai, latin).

    Counted as what a substitution removes: the regex engine walks the text in C, where a
    Python loop over every character cost a quarter of the whole analysis."""
    kinds = ("latin",) if text.isascii() else tuple(_SCRIPT_RES)
    counts: dict[str, int] = {}
    for kind in kinds:
        n = len(text) - len(_SCRIPT_RES[kind].sub("", text))
        if n:
            counts[kind] = n
    return counts


def recipient_tlds(ev: Evidence) -> set[str]:
    """The top-level domains of the addresses the mail was sent to: the recipient headers, else
    the ``for <address>`` of the receiving server's own Received lines."""
    values = [v for name in _RECIPIENT_HEADERS for v in ev.message.get_all(name)[:5]]
    if not any("@" in v for v in values):
        values = [m.group(1) for v in ev.message.get_all("Received")[:3] if (m := _FOR_RE.search(v[:2000]))]
    tlds: set[str] = set()
    for value in values:
        for domain in _DOMAIN_RE.findall(value[:2000]):
                tld = domain.rstrip(".").rsplit(".", 1)[-1].lower()
                if tld.isalpha():
                    tlds.add(tld)
    return tlds


@check("BODY_FAR_SCRIPT", "content")
def body_far_script(ev: Evidence) -> Hit | None:
    """The mail is written in Chinese, Korean or Thai but goes to addresses in no country that
    reads it (``.org``, ``.ie``, ``.com``): a mass mailer's list, not a correspondent. Japanese
    (kana) is never far, and Han text is near to ``.jp`` readers; delivery reports are left alone."""
    if ev.from_mail_system:
        return None
    counts = script_counts(ev.subject[:300] + "\n" + ev.text[:MAX_SCAN])
    if counts.get("kana", 0) * 20 > counts.get("han", 0):
        return None  # Japanese: kana in any real Japanese text
    script = max(_SCRIPTS, key=lambda s: counts.get(s, 0))
    far = counts.get(script, 0)
    if far < FAR_LEAST or far * 2 < counts.get("latin", 0) // 5:
        return None  # a few words quoted in an English mail
    language, near = _SCRIPTS[script]
    tlds = recipient_tlds(ev)
    if not tlds or tlds & near:
        return None
    return Hit(evidence=[f"body: {far} {language} characters", f"recipient domains: .{', .'.join(sorted(tlds))}"],
               params={"language": language, "tlds": ", ".join(f".{t}" for t in sorted(tlds))})


# --- the subject ------------------------------------------------------------------------------

# "ADV:" (US state laws on unsolicited advertising), "[광고]" (Korea's label for ads sent without
# consent), "未承諾広告※" (Japan's label for the same).
_ADV_RE = re.compile(r"^\s*(?:[\[(]\s*ADV\s*[\])]|ADV\s*[:：-]|ADV\s+(?=[A-Z])|[\[(]\s*광\s*고\s*[\])]|"
                     r"\(?광고\)?\s*[:：]|未承諾広告)")
# A token after a run of padding blanks ("Hey :)          9576"), capitals glued to the last word
# ("accountBBHNQGHU"), letters and digits in brackets ("[ovn610]"), a mailer's serial
# ("(5026HbTl0-754G@13)"), or a lower-case stub after the sentence has ended ("Weeks! uqouq").
_PADDED_RE = re.compile(r"\S[ \xa0]{9,}([A-Za-z0-9]{2,12})[ \t]*$")
_GLUED_RE = re.compile(r"[a-z]{3}([A-Z]{4,10})\s*$")
_BRACKETED_RE = re.compile(r"[\[(]([a-z0-9]{4,10})[\])]\s*$")
_SERIAL_RE = re.compile(r"[\[(]([A-Za-z0-9-]{3,30}@\d{1,3})[\])]\s*$")
_TAIL_RE = re.compile(r"([!?|]|\.{4})\s+([a-z]{2,7})\s*$")
_UNSAYABLE_RE = re.compile(r"^[^aeiouy]{3}|[^aeiouy]{4}")


def _unsayable(token: str) -> bool:
    """Letters no word is made of: no vowel, or a run of consonants no word has."""
    low = token.lower()
    return not set(low) & VOWELS or _UNSAYABLE_RE.search(low) is not None


def tail_token(subject: str) -> str:
    """The throw-away token at the end of ``subject`` (as it came, blanks kept), or ""."""
    subject = subject[:300]
    for pattern in (_PADDED_RE, _SERIAL_RE, _TAIL_RE):
        m = pattern.search(subject)
        if m:
            return m.group(m.lastindex or 0)
    m = _GLUED_RE.search(subject)
    if m and (len(m.group(1)) >= 5 or _unsayable(m.group(1))):
        return m.group(1)
    m = _BRACKETED_RE.search(subject)
    if m and any(c.isdigit() for c in m.group(1)) and any(c.isalpha() for c in m.group(1)):
        return m.group(1)
    return ""


@check("SUBJECT_TAIL_TOKEN", "content")
def subject_tail_token(ev: Evidence) -> Hit | None:
    """The subject ends in a token that belongs to no sentence: letters after a run of blanks,
    capitals glued to the last word, a code in brackets (``compare mortgage rate     YLON``,
    ``Do you owe money? [ovn610]``) - each copy of a mass mailing made to differ. Read on the
    subject as it came, since the blanks are the tell."""
    subject = ev.subject_raw[:300]
    token = tail_token(subject)
    if not token:
        return None
    return Hit(evidence=[f"subject: {' '.join(subject.split())[:120]}", f"token: {token}"], params={"token": token})


@check("SUBJECT_ADV_PREFIX", "content")
def subject_adv_prefix(ev: Evidence) -> Hit | None:
    """The subject opens with the label the law asks of unsolicited advertising ("ADV:",
    Korea's "[광고]", Japan's "未承諾広告※"): the sender itself says nobody asked for the ad."""
    subject = ev.subject[:300]
    if not _ADV_RE.match(subject):
        return None
    return Hit(evidence=[f"subject: {subject[:120]}"], params={"subject": subject[:80]})


# --- the body ---------------------------------------------------------------------------------

_REMOVE_RE = re.compile(
    r"(?:reply|respond|send|e-?mail|write|return)[^.\n]{0,60}?[\"'(\[]?\bremove\b[\"')\]]?"
    r"[^.\n]{0,20}?\b(?:in|as)\s+the\s+(?:subject|title)"
    r"|(?:subject|title)(?:\s+line)?\s*(?:of|:)?\s*[\"'(\[]?\bremove\b",
    re.IGNORECASE)


@check("REMOVE_BY_REPLY", "structure")
def remove_by_reply(ev: Evidence) -> Hit | None:
    """A list post tells the reader to reply with "REMOVE" in the subject to get off its list: the
    opt-out of a harvested address list, posted here through a mailing list (a list unsubscribes
    through its own address and says "unsubscribe"). Mail that came straight is left to
    BULK_FOOTER_WITHOUT_LIST, so the same footer does not count twice."""
    if ev.list_info is None and not ev.message.get("List-Id") and not ev.message.get("List-Unsubscribe"):
        return None
    text = ev.text[:MAX_SCAN]
    m = _REMOVE_RE.search(text)
    if m is None:
        return None
    phrase = " ".join(m.group(0).split())
    return Hit(evidence=[f"phrase: {phrase[:100]}"], params={"phrase": phrase[:80]})


_SPLIT_WORD_RE = re.compile(r"[A-Za-z]<!--[^>]{0,200}?-->[A-Za-z]")


@check("HTML_COMMENT_SPLIT_WORDS", "structure")
def html_comment_split_words(ev: Evidence) -> Hit | None:
    """Words in the HTML are cut in two by comments (``A<!--mom and dad-->ccept C<!--x-->redit``):
    the reader sees "Accept Credit", a keyword filter sees nothing. No editor writes that."""
    found = 0
    example = ""
    for part in ev.message.parts[:20]:
        if part.content_type != "text/html" or not part.text:
            continue
        for m in _SPLIT_WORD_RE.finditer(part.text[:200_000]):
            found += 1
            example = example or m.group(0)
    if found < 3:
        return None
    return Hit(evidence=[f"split words: {found}", f"example: {example[:80]}"], params={"count": str(found)})


# --- an unfilled template ---------------------------------------------------------------------

# Merge fields of mass-mailing tools left as written: "[Your Name]", "[Recipient's Name]",
# "{firstname}", "{blog post title}", "%FIRSTNAME%", "%%email%%", "#CURL#", Mailchimp's
# "*|MC_PREVIEW_TEXT|*". Only field words count (name, email, company, link, title ...), and a
# brace preceded by "%" or "$" is left alone: "%{name}" is an RPM macro, "${name}" a shell variable.
_FIELD = (r"(?:first[ _]?name|last[ _]?name|full[ _]?name|sur[ _]?name|f?name|lname|e-?mail(?:[ _]address)?|"
          r"company(?:[ _]name)?|recipient(?:'?s)?[ _]name|receiver[ _]address|curl|url|link|rand\d{0,2})")
_TEMPLATE_RE = re.compile(
    r"(?i:\[(?:your|recipient'?s|recipient|first|last|full|company|customer|contact|client|insert|sender'?s|"
    r"specific)[ _](?:name|first name|company|company name|email|email address|address|topic|title|position|"
    r"website|industry|platform)\])"
    r"|(?<![%$])\{\{? ?(?i:" + _FIELD + r") ?\}\}?"
    r"|(?<![%$\w])\{[a-z]{2,20}(?: [a-z]{2,20}){0,3} (?:name|title|link|platform|topic|industry|niche|website)\}"
    r"|(?<!\w)(%%?|#)(?i:" + _FIELD + r")\1(?!\w)"
    r"|\*\|[A-Z][A-Z_]{2,30}\|\*",
)


def unfilled_fields(text: str) -> list[str]:
    """Merge fields a mass mailer left unfilled in ``text``, at most three; quoted lines ("> ...")
    are not the mail's own words and are skipped."""
    found: list[str] = []
    for m in _TEMPLATE_RE.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        if text[line_start:m.start()].lstrip().startswith((">", "|")):
            continue
        if m.group() not in found:
            found.append(m.group())
            if len(found) >= 3:
                break
    return found


@check("TEMPLATE_UNFILLED", "content")
def template_unfilled(ev: Evidence) -> Hit | None:
    """The mail carries merge fields its mass mailer never filled in: ``Dear [Recipient's Name]``,
    ``Best, [Your Name]``, ``Hallo {firstname}``, ``%FIRSTNAME%``, ``#CURL#``, ``{blog post
    title}``. A newsletter a reader subscribed to greets them by the name it holds; a template
    sent out raw was mailed in bulk to addresses nobody looked at. Fields in quoted lines (a
    discussion of mail software) are left alone."""
    if ev.from_mail_system:
        return None
    name = ev.from_addr.display_name_raw[:300] if ev.from_addr else ""
    found = unfilled_fields(ev.subject_raw[:300] + "\n" + name + "\n" + ev.text[:MAX_SCAN])
    if not found:
        return None
    return Hit(evidence=[f"field: {f}" for f in found], params={"fields": ", ".join(found)})


# --- a reply to nothing -----------------------------------------------------------------------

# "Re:" and its translations; a forward ("Fwd:") is left out, since a forward starts a new thread.
_REPLY_PREFIX_RE = re.compile(r"(?i)^\s*(?:re|res|aw|sv|vs|antw|odp|rif|r)\s*(?:\[\d{1,3}\])?\s*:")


def _list_mail(ev: Evidence) -> bool:
    """List mail, also from list software that writes only its own header (ezmlm's Mailing-List)."""
    return ev.has_list_headers or bool(ev.message.get("Mailing-List") or ev.message.get("X-Mailing-List"))


@check("FAKE_REPLY_SUBJECT", "content")
def fake_reply_subject(ev: Evidence) -> Hit | None:
    """The subject says "Re:" but the mail answers nothing: no In-Reply-To, no References. Mail
    programs set both when one answers; a mass mailer writes "Re:" so the mail looks like part
    of a talk the reader already had (``Re: [Payment Decline] ...``, ``Re:Bitcoin details``).
    Delivery reports and mail that quotes its own forward are left alone."""
    if ev.from_mail_system or ev.inline_forward is not None or _list_mail(ev):
        return None  # a list (or its archive) may drop the threading headers of a real reply
    subject = ev.subject_raw[:300]
    if not _REPLY_PREFIX_RE.match(subject):
        return None
    if ev.message.get("In-Reply-To") or ev.message.get("References") or ev.message.get("Thread-Index"):
        return None
    return Hit(evidence=[f"subject: {' '.join(subject.split())[:120]}", "no In-Reply-To or References header"],
               params={"subject": " ".join(subject.split())[:80]})


# --- a trial tenant's address -----------------------------------------------------------------

_TENANT_SUFFIXES = (".onmicrosoft.com",)


@check("SENDER_TENANT_DEFAULT_DOMAIN", "sender")
def sender_tenant_default_domain(ev: Evidence) -> Hit | None:
    """The sender writes from the default domain a cloud mail service gives every new tenant
    (``x.onmicrosoft.com``): a company mails the world from its own domain; a tenant opened the
    same day for one run of mail never gets one. Weak alone - small tenants forget to add theirs."""
    sender = ev.from_addr
    if sender is None or ev.from_mail_system:
        return None
    domain = sender.address[:400].rpartition("@")[2].lower().rstrip(".")
    suffix = next((s for s in _TENANT_SUFFIXES if domain.endswith(s)), "")
    if not suffix:
        return None
    return Hit(evidence=[f"sender: {sender.address[:120]}"], params={"domain": domain[:80], "service": suffix[1:]})
