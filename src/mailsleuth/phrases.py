"""Suspicious phrases (urgency, account threats, credential and payment lures, calls to action).

The phrase lists live in ``data/phrases.json`` (format and sources explained in its header).
They are loaded once per process and compiled into one regular expression per category and
script.  Matching runs on text already folded with :func:`mailsleuth.normalize.fold`, so the
lists are written the way people write them (katakana, full width, upper case) and folded at
load time; regex entries are stored already folded and the loader checks that they are.

How it stays fast (a 100 KB text costs under about a millisecond per category): Python's
regex engine scans quickly only when every top-level alternative of a pattern starts with a
literal character, and fastest when the whole pattern starts with one.  So each category
compiles to two patterns:

* Japanese: a character trie of the literals (shared prefixes factored out) plus the regexes,
  each expanded so that every alternative starts with a literal character and grouped under
  that character.  Every Japanese phrase holds kana or kanji, so this part is skipped for
  text without any.
* Latin (English, Portuguese, German, French, Spanish, Dutch): ``" "`` followed by the same kind
  of alternation, run over a "Latin view" of the text made once per call, in which the ASCII punctuation of
  ``LATIN_SOFT_BOUNDARY`` became spaces.  So a Latin phrase matches whole words only (a
  look-ahead checks its end) after a space, the start of the text or one of those characters;
  phrases must not contain them.  A Latin phrase glued to a letter, digit, kana or kanji, or
  after other punctuation ("-urgent", "詳細はclick here"), is not seen.
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
    "LATIN_SOFT_BOUNDARY",
    "MAX_HITS_PER_CATEGORY",
    "PhraseDataError",
    "PhraseHit",
    "categories",
    "category_description",
    "category_strength",
    "category_weight_hint",
    "find_phrases",
]

MAX_HITS_PER_CATEGORY = 10
LANGS = frozenset({"ja", "en", "pt", "de", "fr", "es", "nl"})

_LATIN = "a-z0-9\u00c0-\u024f\u1e00-\u1eff"  # Latin letters and digits, after casefold
_NOT_LATIN_AFTER = f"(?![{_LATIN}])"
# ASCII punctuation that may stand right before a Latin phrase (besides a space): mapped to a
# space in the Latin view.  Latin phrases must not contain these characters.
LATIN_SOFT_BOUNDARY = '!"#()*,./:;<=>?[]_{|}~`^\\'
_VIEW_TABLE = bytes.maketrans(LATIN_SOFT_BOUNDARY.encode(), b" " * len(LATIN_SOFT_BOUNDARY))
_REGEX_META = frozenset("()[]{}.^$|?*+\\")
_QUANTIFIERS = frozenset("?*+{")
_ESCAPE_RE = re.compile(r"\\.")
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # kana and kanji
_CJK_RE = re.compile(f"[{_CJK}]")
# A leading "(?:a|b|c)" (no nested group), optionally followed by "?".
_LEAD_GROUP_RE = re.compile(r"\(\?:([^()\[\]\\]*)\)(\?)?")
# A leading "[...]" of plain characters and ranges, alone or followed by "+" or "{m,n}".
_LEAD_CLASS_RE = re.compile(r"\[([^\]\\^]+)\](\+|\{(\d+),(\d+)\})?")


@dataclass(frozen=True, slots=True)
class PhraseHit:
    category: str
    phrase: str  # the matched text, as it appears in the folded input
    lang: str  # "ja" or a Latin-script language ("en", "pt", "de", ...): language of the phrase entry that matched


@dataclass(frozen=True, slots=True)
class _Category:
    name: str
    weight_hint: float
    strength: str
    description: dict[str, str]
    ja_pattern: re.Pattern[str] | None  # literal-led alternation, matched anywhere
    latin_pattern: re.Pattern[str] | None  # " " + literal-led alternation, run on the Latin view
    literal_lang: dict[str, str]  # folded literal -> lang
    regexes: tuple[tuple[re.Pattern[str], str], ...]  # each regex entry alone, to find its lang


class PhraseDataError(ValueError):
    """``phrases.json`` is malformed (raised at load time, naming the entry)."""


# ---------------------------------------------------------------------------------------------
# Checks and rewrites of regex entries


def _regex_literals(pattern: str) -> str:
    """The characters ``pattern`` matches literally (escaped characters, class members and
    plain characters), without regex syntax; approximate but conservative."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if not nxt.isalnum():  # \. \( ... are literals; \d \s \b are classes
                out.append(nxt)
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
            elif ch not in "-^":
                out.append(ch)
        elif ch == "[":
            in_class = True
        elif ch == "(" and pattern.startswith("?", i + 1):
            i += 3 + pattern.startswith("<", i + 2)  # (?: (?= (?! (?<= (?<!
            continue
        elif ch not in _REGEX_META:
            out.append(ch)
        i += 1
    return "".join(out)


def _is_folded(literals: str) -> bool:
    return all(c.isspace() or fold(c) == c for c in literals)


def _has_top_level_bar(pattern: str) -> bool:
    depth, in_class = 0, False
    bare = _ESCAPE_RE.sub("", pattern)
    for ch in bare:
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch in "()":
            depth += 1 if ch == "(" else -1
        elif ch == "|" and depth == 0:
            return True
    return False


def _class_chars(body: str) -> list[str]:
    chars: list[str] = []
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            chars.extend(chr(c) for c in range(ord(body[i]), ord(body[i + 2]) + 1))
            i += 3
        else:
            chars.append(body[i])
            i += 1
    return chars


def _expand_lead(pattern: str, depth: int = 0) -> list[str]:
    """Rewrite ``pattern`` as alternatives that each start with a literal character.

    Handles a leading ``(?:a|b)`` / ``(?:a|b)?`` group and a leading ``[0-9]``-style class
    (alone, ``+`` or ``{m,n}``); anything else must already start with a literal character.
    """
    if depth > 4:
        raise ValueError("too many leading groups")
    m = _LEAD_GROUP_RE.match(pattern)
    if m:
        rest = pattern[m.end() :]
        options = m.group(1).split("|") + ([""] if m.group(2) else [])
        return [alt for option in options for alt in _expand_lead(option + rest, depth + 1)]
    m = _LEAD_CLASS_RE.match(pattern)
    if m:
        body, rest = m.group(1), pattern[m.end() :]
        chars = _class_chars(body)
        if len(chars) > 40:
            raise ValueError("leading character class too large")
        tail = ""
        if m.group(2) == "+":
            tail = f"[{body}]*"
        elif m.group(2):
            lo, hi = int(m.group(3)), int(m.group(4))
            if not 1 <= lo <= hi:
                raise ValueError("a leading class needs {m,n} with 1 <= m <= n")
            tail = f"[{body}]{{{lo - 1},{hi - 1}}}"
        return [re.escape(c) + tail + rest for c in chars]
    if not pattern or pattern[0] in _REGEX_META or pattern[1:2] in _QUANTIFIERS:
        raise ValueError("must start with a literal character, a (?:a|b) group or a [class]")
    return [pattern]


# ---------------------------------------------------------------------------------------------
# Compilation


_RX = "regex"  # trie key (longer than one character) holding regex remainders


def _alternation(literals: list[str], regex_alts: list[str], tail: str) -> str | None:
    """One regex matching the literals (longest first, shared prefixes factored out as a
    character trie) or the literal-led regex alternatives, grouped under their first
    character.  Every top-level alternative starts with a literal character, which is what lets
    the regex engine skip positions quickly; ``tail`` ends every alternative."""
    trie: dict[str, Any] = {}
    for word in literals:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = True
    for alt in regex_alts:
        # _expand_lead escapes a class member it puts first ("\\." for "."): unescape it here.
        first, rest = (alt[1], alt[2:]) if alt.startswith("\\") else (alt[0], alt[1:])
        trie.setdefault(first, {}).setdefault(_RX, []).append(rest)

    def build(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if len(ch) == 1]
        alts += [f"(?:{rest}){tail}" for rest in node.get(_RX, [])]
        if "" in node:
            alts.append(tail)
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    top = [re.escape(ch) + build(child) for ch, child in sorted(trie.items())]
    return "|".join(top) if top else None


def _compile_part(literals: list[str], regex_alts: list[str], latin: bool) -> re.Pattern[str] | None:
    body = _alternation(literals, regex_alts, _NOT_LATIN_AFTER if latin else "")
    if body is None:
        return None
    return re.compile(f" (?:{body})" if latin else body)


def _compile_category(name: str, raw: dict[str, Any]) -> _Category:
    literal_lang: dict[str, str] = {}
    literals: dict[bool, list[str]] = {True: [], False: []}
    regex_alts: dict[bool, list[str]] = {True: [], False: []}
    regexes: list[tuple[re.Pattern[str], str]] = []
    for entry in raw["phrases"]:
        pattern, lang, is_regex = entry["pattern"], entry["lang"], entry["regex"]
        where = f"phrases.json: {name}: {pattern!r}"
        if lang not in LANGS or not isinstance(pattern, str) or not pattern.strip():
            raise PhraseDataError(f"{where}: needs a non-empty pattern and lang in {sorted(LANGS)}")
        latin = lang != "ja"
        chars = _regex_literals(pattern) if is_regex else fold(pattern)
        if not latin and not _CJK_RE.search(chars):
            raise PhraseDataError(f"{where}: a ja phrase must hold kana or kanji")
        if latin and set(chars) & set(LATIN_SOFT_BOUNDARY):
            raise PhraseDataError(f"{where}: Latin phrases must not contain {LATIN_SOFT_BOUNDARY!r}")
        if not is_regex:
            if chars in literal_lang:
                raise PhraseDataError(f"{where}: duplicate of another phrase once folded ({chars!r})")
            literal_lang[chars] = lang
            literals[latin].append(chars)
            continue
        if not _is_folded(chars):
            raise PhraseDataError(f"{where}: regex entries must be stored folded (see normalize.fold)")
        if _has_top_level_bar(pattern):
            raise PhraseDataError(f"{where}: write one entry per alternative (no top-level '|')")
        try:
            if re.compile(pattern).groups:
                raise ValueError("use (?:...) groups, not capturing groups")
            alts = _expand_lead(pattern)
            for alt in alts:
                re.compile(alt)
        except (re.error, ValueError) as exc:
            raise PhraseDataError(f"{where}: {exc}") from None
        regex_alts[latin].extend(alts)
        regexes.append((re.compile(pattern + (_NOT_LATIN_AFTER if latin else "")), lang))
    return _Category(
        name=name,
        weight_hint=float(raw["weight_hint"]),
        strength=str(raw.get("strength", "weak")),
        description=dict(raw["description"]),
        ja_pattern=_compile_part(literals[False], regex_alts[False], latin=False),
        latin_pattern=_compile_part(literals[True], regex_alts[True], latin=True),
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


# ---------------------------------------------------------------------------------------------
# Public API


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


def _latin_view(text: str) -> str:
    """``" " + text`` with ``LATIN_SOFT_BOUNDARY`` characters turned into spaces.

    Same length as ``" " + text`` and equal everywhere else (only ASCII bytes are changed, and
    in UTF-8 those never occur inside a multi-byte character).
    """
    data = (" " + text).encode("utf-8", "surrogatepass")
    return data.translate(_VIEW_TABLE).decode("utf-8", "surrogatepass")


def _lang_of(cat: _Category, matched: str, latin: bool) -> str:
    lang = cat.literal_lang.get(matched)
    if lang is not None:
        return lang
    for rx, rx_lang in cat.regexes:
        if (rx_lang != "ja") == latin and rx.fullmatch(matched):
            return rx_lang
    return "en" if latin else "ja"  # not reached with consistent data


def _scan(cat: _Category, text: str, view: str, has_cjk: bool) -> list[PhraseHit]:
    """Distinct hits of one category: Japanese part first, then Latin, each in text order."""
    hits: dict[str, PhraseHit] = {}
    # (pattern, subject, shift): a match at [s, e) of subject is text[s : e - shift]
    # (the Latin view is " " + text, and its match starts with that boundary space).
    parts: list[tuple[re.Pattern[str], str, int]] = []
    if cat.ja_pattern is not None and has_cjk:
        parts.append((cat.ja_pattern, text, 0))
    if cat.latin_pattern is not None:
        parts.append((cat.latin_pattern, view, 1))
    for pattern, subject, shift in parts:
        for m in pattern.finditer(subject):
            matched = text[m.start() : m.end() - shift]
            if matched not in hits:
                hits[matched] = PhraseHit(cat.name, matched, _lang_of(cat, matched, latin=shift == 1))
                if len(hits) >= MAX_HITS_PER_CATEGORY:
                    return list(hits.values())
    return list(hits.values())


def find_phrases(folded_text: str) -> dict[str, list[PhraseHit]]:
    """Phrases found in ``folded_text`` (already passed through :func:`normalize.fold`).

    Returns category -> distinct hits, deduplicated by matched text and capped at
    ``MAX_HITS_PER_CATEGORY``; categories without hits are left out.
    """
    found: dict[str, list[PhraseHit]] = {}
    if not folded_text:
        return found
    view = _latin_view(folded_text)
    has_cjk = not folded_text.isascii() and _CJK_RE.search(folded_text) is not None
    for name, cat in _categories().items():
        hits = _scan(cat, folded_text, view, has_cjk)
        if hits:
            found[name] = hits
    return found
