"""Checks on what the mail says: pressure, threats to the account, requests for secrets."""

from __future__ import annotations

import re

from ..evidence import Evidence
from . import Hit, check


def as_written(ev: Evidence, folded: str) -> str:
    """The phrase as the mail wrote it: matching runs on folded text (hiragana, lower case),
    so look the folded phrase up again in the original with kana and case both allowed."""
    parts = []
    for ch in folded:
        if "\u3041" <= ch <= "\u3096":
            parts.append(f"[{ch}{chr(ord(ch) + 0x60)}]")
        elif ch == " ":
            parts.append(r"\s*")
        else:
            parts.append(re.escape(ch))
    m = re.search("".join(parts), ev.subject + "\n" + ev.text[:200_000], re.IGNORECASE)
    return m.group(0) if m else folded


def _phrase_hit(ev: Evidence, category: str, *, subject_only: bool = False) -> Hit | None:
    found = (ev.subject_phrases if subject_only else ev.phrases).get(category, [])
    if not found:
        return None
    phrases = [as_written(ev, h.phrase) for h in found[:5]]
    return Hit(evidence=[f"phrase: {p}" for p in phrases[:5]], params={"phrases": "」「".join(phrases[:3]),
               "phrases_en": '", "'.join(phrases[:3])},
               confidence=min(1.0, 0.6 + 0.2 * len(phrases)))


@check("URGENCY_PHRASES", "content")
def urgency_phrases(ev: Evidence) -> Hit | None:
    """Pressure to act now (【重要】, 至急, within 24 hours)."""
    return _phrase_hit(ev, "urgency")


@check("ACCOUNT_THREAT", "content")
def account_threat(ev: Evidence) -> Hit | None:
    """The account is said to be stopped, locked, deleted or misused."""
    return _phrase_hit(ev, "account_threat")


@check("CREDENTIAL_LURE", "content")
def credential_lure(ev: Evidence) -> Hit | None:
    """The reader is asked to log in, confirm identity, or enter card data."""
    return _phrase_hit(ev, "credential_lure")


@check("PAYMENT_LURE", "content")
def payment_lure(ev: Evidence) -> Hit | None:
    return _phrase_hit(ev, "payment_lure")


# Mathematical alphanumerics (𝙎𝘼𝙔, 𝐀𝐌𝐄𝐑𝐈𝐂𝐀), enclosed and squared letters (🅰, Ⓐ): styled letters that
# look like text to a reader and like nothing to a keyword filter.
_STYLED_RE = re.compile("[\U0001d400-\U0001d7ff\U0001f130-\U0001f189\u24b6-\u24e9\U0001f1e6-\U0001f1ff]")


@check("STYLED_LETTERS", "content")
def styled_letters(ev: Evidence) -> Hit | None:
    """The subject or sender name is written in styled Unicode letters to dodge filters."""
    name = ev.from_addr.display_name_raw if ev.from_addr else ""
    count = len(_STYLED_RE.findall(ev.subject)) + len(_STYLED_RE.findall(name))
    if count < 4:
        return None
    return Hit(evidence=[f"subject: {ev.subject[:80]}", f"styled letters: {count}"], params={"count": str(count)})


@check("SUBJECT_HAS_RECIPIENT", "content")
def subject_has_recipient(ev: Evidence) -> Hit | None:
    """The recipient's own address is pasted into the subject: a mass-mailing template filling in
    the target, not a person writing."""
    subject = ev.subject.lower()
    for raw in ev.message.get_all("To")[:1]:
        if "@" not in raw:
            continue
        for address in _ADDR_RE.findall(raw[:2000].lower()):  # bounded: the pattern is not linear
            if address in subject:
                return Hit(evidence=[f"subject: {ev.subject[:100]}", f"to: {address}"], params={"address": address})
    return None


_ADDR_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*")
