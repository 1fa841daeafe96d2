"""Multilingual lure lexicons for the scam checks (``data/scam.json``: format and sources in its header).

The lexicons hold plain phrases in several languages (English, Portuguese, German, French, Dutch,
Spanish, Italian, Japanese). They are matched on a "word view" of the folded text: accents
stripped (scam mail often drops them: "voce ganhou") and every run of non-word characters turned
into one space, so "Congratulations! You ..." and "congratulations you" compare equal.

How it stays linear and fast: all Latin phrases of all lexicons compile into ONE pattern, a
character trie of literals behind a leading space (every alternative starts with a literal, and
the pattern itself with " ", which the regex engine scans for quickly), ended by a look-ahead
for the next space. Phrases with kana or kanji compile into a second trie that is only run when
the text holds such characters. The text scanned is capped at ``MAX_SCAN`` characters.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from .normalize import fold

__all__ = ["MAX_SCAN", "FormHost", "FormHosts", "Lexicons", "LureHit", "find_lures", "form_hosts", "lexicons",
           "load_form_hosts", "word_view"]

MAX_SCAN = 60_000  # characters of folded text scanned for lures
MAX_HITS = 10  # distinct phrases kept per lexicon
_CJK_RE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_MARKS_RE = re.compile("[\u0300-\u036f]")
_NON_WORD_RE = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class LureHit:
    lexicon: str
    phrase: str  # the phrase as listed (accents stripped, words separated by one space)
    lang: str


@dataclass(frozen=True, slots=True)
class Lexicons:
    latin: re.Pattern[str] | None
    cjk: re.Pattern[str] | None
    owner: dict[str, tuple[str, str]]  # phrase -> (lexicon, lang)
    image_hosts: frozenset[str]
    script_locals: frozenset[str]
    host_prefixes: tuple[str, ...]


def word_view(folded: str) -> str:
    """``folded`` (already passed through :func:`normalize.fold`) with accents stripped and
    non-word runs turned into single spaces, framed by spaces."""
    text = folded
    if not text.isascii():
        # Latin accents only: recomposing keeps kana voicing marks (ぱ) in place.
        text = unicodedata.normalize("NFC", _MARKS_RE.sub("", unicodedata.normalize("NFD", text)))
    return " " + _NON_WORD_RE.sub(" ", text).strip() + " "


def _trie_pattern(words: list[str], lead: str, tail: str) -> re.Pattern[str] | None:
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if "" in node:
            alts.append(tail)
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    if not trie:
        return None
    return re.compile(lead + build(trie))


def load_lexicons(text: str) -> Lexicons:
    """Compile a ``scam.json`` document (exposed for tests and tools)."""
    data = json.loads(text)
    owner: dict[str, tuple[str, str]] = {}
    latin: list[str] = []
    cjk: list[str] = []
    for name, lex in data["lexicons"].items():
        if not lex.get("source") or lex["source"] not in data["_sources"]:
            raise ValueError(f"scam.json: lexicon {name} needs a source listed in _sources")
        for lang, phrases in lex["phrases"].items():
            for phrase in phrases:
                key = word_view(fold(phrase)).strip()
                if not key or key in owner:
                    raise ValueError(f"scam.json: {name}: {phrase!r} is empty or listed twice")
                owner[key] = (name, lang)
                (cjk if _CJK_RE.search(key) else latin).append(key)
    hosts = data["hosts"]["free_image_hosts"]["domains"]
    sender = data["sender_hosts"]
    return Lexicons(
        latin=_trie_pattern(latin, " ", "(?= )"), cjk=_trie_pattern(cjk, "", ""), owner=owner,
        image_hosts=frozenset(h.lower() for h in hosts),
        script_locals=frozenset(x.lower() for x in sender["local_parts"]),
        host_prefixes=tuple(x.lower() for x in sender["host_prefixes"]),
    )


@cache
def lexicons() -> Lexicons:
    return load_lexicons(resources.files("mailsleuth").joinpath("data", "scam.json").read_text(encoding="utf-8"))


@dataclass(frozen=True, slots=True)
class FormHost:
    """A form, survey or file-sharing service that lure pages are hosted on (``data/form_hosts.json``)."""

    host: str
    paths: tuple[str, ...]  # URL path prefixes that make a link a form or shared file; () = any path
    what: str
    tenant: bool  # the host's first label names the owner of the space (contoso.sharepoint.com)


@dataclass(frozen=True, slots=True)
class FormHosts:
    hosts: dict[str, tuple[FormHost, ...]]  # host name -> entries
    share_senders: frozenset[str]

    def match(self, host: str, path: str) -> FormHost | None:
        """The entry that ``host`` (lower case) and ``path`` fall under, or None. Looks up the
        host and its parent names (at most 6 labels deep), so the cost does not grow with input."""
        labels = host.split(".")
        for i in range(max(0, len(labels) - 6), len(labels) - 1):
            for entry in self.hosts.get(".".join(labels[i:]), ()):
                if not entry.paths or path.startswith(entry.paths):
                    return entry
        return None


def load_form_hosts(text: str) -> FormHosts:
    """Compile a ``form_hosts.json`` document (exposed for tests and tools)."""
    data = json.loads(text)
    hosts: dict[str, list[FormHost]] = {}
    for raw in data["hosts"]:
        if raw.get("source") not in data["_sources"]:
            raise ValueError(f"form_hosts.json: {raw.get('host')!r} needs a source listed in _sources")
        entry = FormHost(host=raw["host"].lower(), paths=tuple(raw["paths"]), what=raw["what"],
                         tenant=bool(raw.get("tenant", False)))
        hosts.setdefault(entry.host, []).append(entry)
    return FormHosts(hosts={h: tuple(e) for h, e in hosts.items()},
                     share_senders=frozenset(d.lower() for d in data["share_senders"]))


@cache
def form_hosts() -> FormHosts:
    text = resources.files("mailsleuth").joinpath("data", "form_hosts.json").read_text(encoding="utf-8")
    return load_form_hosts(text)


def find_lures(folded: str) -> dict[str, list[LureHit]]:
    """Lexicon -> distinct phrases found in ``folded`` (at most ``MAX_HITS`` each)."""
    lex = lexicons()
    view = word_view(folded[:MAX_SCAN])
    found: dict[str, dict[str, LureHit]] = {}
    patterns = [(lex.latin, 1)]
    if not view.isascii() and _CJK_RE.search(view):
        patterns.append((lex.cjk, 0))
    for pattern, shift in patterns:
        if pattern is None:
            continue
        for m in pattern.finditer(view):
            phrase = m.group(0)[shift:]
            name, lang = lex.owner.get(phrase, ("", ""))
            if not name:
                continue
            hits = found.setdefault(name, {})
            if phrase not in hits and len(hits) < MAX_HITS:
                hits[phrase] = LureHit(name, phrase, lang)
    return {name: list(hits.values()) for name, hits in found.items()}
