"""Checks on what the mail says: pressure, threats to the account, requests for secrets."""

from __future__ import annotations

from ..evidence import Evidence
from . import Hit, check


def _phrase_hit(ev: Evidence, category: str, *, subject_only: bool = False) -> Hit | None:
    found = (ev.subject_phrases if subject_only else ev.phrases).get(category, [])
    if not found:
        return None
    phrases = [h.phrase for h in found]
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
