"""Marks that spam filters add: subject stamps and ``X-Spam-*`` headers.

A stamp is a fact about what an earlier filter thought, recorded as evidence; the subject
is also given back without the stamps so that checks read what the sender wrote.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# Subject stamps at the start of the subject (possibly after Re:/Fwd:), in the spellings
# filters use: [spam], [SPAM], ***SPAM***, [meiwaku] (Japanese ISPs), 【迷惑メール】, {Spam?}.
_STAMP_RE = re.compile(
    r"^\s*(?:\[\s*(?:spam|meiwaku|suspected\s+spam|bulk|spam\?|possible\s+spam)\s*\]|"
    r"\*{2,3}\s*spam\s*\*{2,3}|\{\s*spam\??\s*\}|【\s*(?:迷惑メール|spam)\s*】|\(\s*spam\s*\))\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Stamps:
    subject_stamps: tuple[str, ...]  # stamps removed from the subject, as written
    headers: tuple[str, ...]  # "X-Spam-Flag: YES" style header facts that say spam
    subject: str  # subject without the stamps

    @property
    def any(self) -> bool:
        return bool(self.subject_stamps or self.headers)


def strip_subject_stamps(subject: str) -> tuple[str, list[str]]:
    found: list[str] = []
    while True:
        m = _STAMP_RE.match(subject)
        if not m:
            break
        found.append(m.group(0).strip())
        subject = subject[m.end():]
    return subject.strip(), found


def _says_yes(value: str) -> bool:
    return value.strip().lower().startswith(("yes", "true", "spam"))


def find_stamps(subject: str, header: Callable[[str], str | None]) -> Stamps:
    """``header(name)`` returns the first decoded value of a header, or None."""
    clean, found = strip_subject_stamps(subject)
    facts: list[str] = []
    for name in ("X-Spam-Flag", "X-Spam-Status", "X-Spam", "X-Spam-Level-Flag", "X-Meiwaku"):
        value = header(name)
        if value and _says_yes(value):
            facts.append(f"{name}: {value.strip()[:80]}")
    return Stamps(subject_stamps=tuple(found), headers=tuple(facts), subject=clean)
