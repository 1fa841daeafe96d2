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
