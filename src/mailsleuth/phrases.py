"""Suspicious phrases (urgency, account threats, credential and payment lures, calls to action).

The phrase lists live in ``data/phrases.json`` (format and sources explained in its header).
They are loaded once per process and compiled into one regular expression per category.
Matching runs on text already folded with :func:`mailsleuth.normalize.fold`, so the lists may
be written the way people write them (katakana, full width, upper case): literals are folded at
load time.  Regex entries are stored already folded and the loader checks that they are.

Speed: a category's literals are compiled as a character trie (``(?:a(?:b|c))``-style
alternation with shared prefixes), which lets the regex engine reject most positions after one
or two characters; whole-word checks for Latin-script phrases are done with a look-ahead inside
the trie and a look-behind test in Python, which keeps the engine's first-character scan.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from .normalize import fold

__all__ = [
    "PhraseHit",
    "categories",
    "category_description",
    "category_strength",
    "category_weight_hint",
    "find_phrases",
]

MAX_HITS_PER_CATEGORY = 10
LANGS = frozenset({"ja", "en", "pt"})

# Letters and digits of Latin script (after casefold): a Latin phrase must not touch one of these.
_LATIN = "a-z0-9\u00c0-\u024f\u1e00-\u1eff"
_LATIN_RE = re.compile(f"[{_LATIN}]")
_NOT_LATIN_AFTER = f"(?![{_LATIN}])"
_ESCAPE_RE = re.compile(r"\\.")


@dataclass(frozen=True, slots=True)
class PhraseHit:
    category: str
    phrase: str  # the matched text, as it appears in the folded input
    lang: str  # "ja", "en" or "pt": language of the phrase entry that matched


@dataclass(frozen=True, slots=True)
class _Category:
    name: str
    weight_hint: float
    strength: str
    description: dict[str, str]
    pattern: re.Pattern[str]
    literal_lang: dict[str, str]  # folded literal -> lang
    regexes: tuple[tuple[re.Pattern[str], str], ...]  # each regex entry alone, for its lang


class PhraseDataError(ValueError):
    """``phrases.json`` is malformed (raised at load time, naming the entry)."""


def _is_folded_regex(pattern: str) -> bool:
    """True when every literal character of ``pattern`` is unchanged by :func:`fold`."""
    bare = _ESCAPE_RE.sub("", pattern)
    return all(c.isspace() or fold(c) == c for c in bare)


def _trie_regex(words: list[str]) -> str:
    """A regex matching exactly ``words``, longest first, with shared prefixes factored out.

    Words starting with a Latin letter or digit get a look-ahead at their end so that they only
    match whole words (the look-behind half of that test is done by the caller).
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = word

    def build(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        end: str | None = node.get("")
        if end is not None:
            alts.append(_NOT_LATIN_AFTER if _LATIN_RE.fullmatch(end[-1]) else "")
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"

    return build(trie) if trie else "(?!)"


def _compile_category(name: str, raw: dict[str, Any]) -> _Category:
    literal_lang: dict[str, str] = {}
    regex_parts: list[str] = []
    regexes: list[tuple[re.Pattern[str], str]] = []
    for entry in raw["phrases"]:
        pattern, lang, is_regex = entry["pattern"], entry["lang"], entry["regex"]
        where = f"phrases.json: {name}: {pattern!r}"
        if lang not in LANGS or not isinstance(pattern, str) or not pattern.strip():
            raise PhraseDataError(f"{where}: needs a non-empty pattern and lang in {sorted(LANGS)}")
        if is_regex:
            if not _is_folded_regex(pattern):
                raise PhraseDataError(f"{where}: regex entries must be stored folded (see normalize.fold)")
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise PhraseDataError(f"{where}: {exc}") from None
            if compiled.groups:
                raise PhraseDataError(f"{where}: use (?:...) groups, not capturing groups")
            tail = _NOT_LATIN_AFTER if _LATIN_RE.fullmatch(pattern[-1]) else ""
            regex_parts.append(f"(?:{pattern}){tail}")
            regexes.append((re.compile(f"(?:{pattern}){tail}"), lang))
        else:
            folded = fold(pattern)
            if folded in literal_lang:
                raise PhraseDataError(f"{where}: duplicate of another phrase once folded ({folded!r})")
            literal_lang[folded] = lang
    pattern = "|".join([_trie_regex(sorted(literal_lang)), *regex_parts])
    return _Category(
        name=name,
        weight_hint=float(raw["weight_hint"]),
        strength=str(raw.get("strength", "weak")),
        description=dict(raw["description"]),
        pattern=re.compile(pattern),
        literal_lang=literal_lang,
        regexes=tuple(regexes),
    )


def load_categories(text: str) -> dict[str, _Category]:
    """Compile the categories of a ``phrases.json`` document (exposed for tests and tools)."""
    data = json.loads(text)
    try:
        return {name: _compile_category(name, raw) for name, raw in data["categories"].items()}
    except (KeyError, TypeError) as exc:
        raise PhraseDataError(f"phrases.json: missing or malformed field {exc}") from None


@cache
def _categories() -> dict[str, _Category]:
    text = resources.files("mailsleuth").joinpath("data", "phrases.json").read_text(encoding="utf-8")
    return load_categories(text)


def categories() -> tuple[str, ...]:
    """Category names in file order."""
    return tuple(_categories())


def category_description(category: str) -> dict[str, str]:
    """``{"ja": ..., "en": ...}`` for ``category`` (KeyError for an unknown name)."""
    return dict(_categories()[category].description)


def category_weight_hint(category: str) -> float:
    return _categories()[category].weight_hint


def category_strength(category: str) -> str:
    """``"strong"`` (rare in legitimate mail) or ``"weak"``."""
    return _categories()[category].strength


def _is_latin(ch: str) -> bool:
    return _LATIN_RE.fullmatch(ch) is not None


def _lang_of(cat: _Category, matched: str) -> str:
    lang = cat.literal_lang.get(matched)
    if lang is not None:
        return lang
    for rx, rx_lang in cat.regexes:
        if rx.fullmatch(matched):
            return rx_lang
    return "ja" if not matched.isascii() else "en"  # not reached with consistent data


def _scan(cat: _Category, text: str) -> list[PhraseHit]:
    hits: dict[str, PhraseHit] = {}
    search = cat.pattern.search
    pos = 0
    while len(hits) < MAX_HITS_PER_CATEGORY:
        m = search(text, pos)
        if m is None:
            break
        start, end = m.span()
        if start > 0 and _is_latin(text[start]) and _is_latin(text[start - 1]):
            pos = start + 1  # inside a word: not a whole-word match, look again one further
            continue
        matched = m.group()
        if matched not in hits:
            hits[matched] = PhraseHit(cat.name, matched, _lang_of(cat, matched))
        pos = end if end > start else end + 1
    return list(hits.values())


def find_phrases(folded_text: str) -> dict[str, list[PhraseHit]]:
    """Phrases found in ``folded_text`` (already passed through :func:`normalize.fold`).

    Returns category -> distinct hits in order of first appearance, deduplicated by matched
    text and capped at ``MAX_HITS_PER_CATEGORY``; categories without hits are left out.
    """
    found: dict[str, list[PhraseHit]] = {}
    if not folded_text:
        return found
    for name, cat in _categories().items():
        hits = _scan(cat, folded_text)
        if hits:
            found[name] = hits
    return found
