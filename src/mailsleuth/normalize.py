"""Text folding used everywhere a name or phrase is matched.

``fold`` makes the many spellings people see compare equal: full-width and half-width
letters and kana (NFKC), katakana and hiragana (folded to hiragana), upper and lower case,
and invisible characters that phishers insert to break filters (``【メルカ\u2064リ】``).
"""

from __future__ import annotations

import re
import unicodedata

# Zero-width, bidi controls, invisible operators, soft hyphen, BOM, variation selectors, tags.
_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f\U000e0100-\U000e01ef"
)
INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
_SPACE_RE = re.compile(r"\s+")
# Katakana block U+30A1..U+30F6 maps to hiragana by a fixed offset; ヽヾ too.
_KATA_TO_HIRA = {c: c - 0x60 for c in range(0x30A1, 0x30F7)} | {0x30FD: 0x309D, 0x30FE: 0x309E}


def strip_invisible(text: str) -> str:
    """Remove zero-width and other invisible format characters."""
    return INVISIBLE_RE.sub("", text)


def count_invisible(text: str) -> int:
    return len(INVISIBLE_RE.findall(text))


def fold(text: str) -> str:
    """Fold ``text`` for matching: NFKC, invisible characters removed, katakana to
    hiragana, case-folded, whitespace collapsed to single spaces."""
    if not text:
        return ""
    text = INVISIBLE_RE.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_KATA_TO_HIRA)
    return _SPACE_RE.sub(" ", text.casefold()).strip()


def show(text: str) -> str:
    """Text fit for showing: invisible characters removed, NFC, whitespace collapsed."""
    if not text:
        return ""
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFC", INVISIBLE_RE.sub("", text))).strip()
