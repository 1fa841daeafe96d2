"""Text folding used everywhere a name or phrase is matched.

``fold`` makes the many spellings people see compare equal: full-width and half-width
letters and kana (NFKC), katakana and hiragana (folded to hiragana), upper and lower case,
invisible characters that phishers insert to break filters (``【メルカ\u2064リ】``), and combining
marks sprinkled over Latin letters (``Aܿmܿaܿzܿoܿn`` with U+073F, ``M̶icrosoft`` with U+0336).
Marks on other letters are kept: Thai, Devanagari and the other scripts need theirs.
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


def _mark_class() -> str:
    """A character class of every combining mark (categories Mn and Me) of the Basic Multilingual
    Plane, as ranges; built once at import from the Unicode database (a few ms). The marks beyond
    it (musical notation, historic scripts) are left out on purpose: a class that reaches past
    U+FFFF cannot be one bitmap in Python's regex engine, which then tests its ranges one by one -
    sixty times slower on every text folded, for marks no phishing mail has used."""
    marks = [c for c in range(0x300, 0x10000) if unicodedata.category(chr(c)) in ("Mn", "Me")]
    ranges: list[tuple[int, int]] = []
    for c in marks:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1] = (ranges[-1][0], c)
        else:
            ranges.append((c, c))
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


MARKS = _mark_class()
# Latin letters (ASCII, Latin-1, Extended-A/B, Extended Additional), and with digits the characters a
# mark may sit on.
LATIN_LETTERS = "A-Za-z\u00c0-\u024f\u1e00-\u1eff"
LATIN_BASE = "0-9" + LATIN_LETTERS
# A run of combining marks right after a Latin letter or digit. Where a mark composes with its
# letter (e + U+0301), NFKC has already made one character of them, so what is left here is a
# mark no Latin spelling needs.
LATIN_MARKS_RE = re.compile(f"(?<=[{LATIN_BASE}])[{MARKS}]+")
# Katakana block U+30A1..U+30F6 maps to hiragana by a fixed offset; ヽヾ too.
KATA_TO_HIRA = {c: c - 0x60 for c in range(0x30A1, 0x30F7)} | {0x30FD: 0x309D, 0x30FE: 0x309E}


def strip_invisible(text: str) -> str:
    """Remove zero-width and other invisible format characters."""
    return INVISIBLE_RE.sub("", text)


def count_invisible(text: str) -> int:
    return len(INVISIBLE_RE.findall(text))


def fold(text: str) -> str:
    """Fold ``text`` for matching: NFKC, invisible characters and combining marks on Latin
    letters removed, katakana to hiragana, case-folded, whitespace collapsed to single spaces."""
    if not text:
        return ""
    text = INVISIBLE_RE.sub("", text)
    if not text.isascii():
        text = LATIN_MARKS_RE.sub("", unicodedata.normalize("NFKC", text).translate(KATA_TO_HIRA))
    return _SPACE_RE.sub(" ", text.casefold()).strip()


def show(text: str) -> str:
    """Text fit for showing: invisible characters removed, NFC, whitespace collapsed."""
    if not text:
        return ""
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFC", INVISIBLE_RE.sub("", text))).strip()
