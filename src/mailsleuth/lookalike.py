"""Domains made to look like a brand's official domain: typos (``amazom.co.jp``),
homoglyphs (``paypa1.com``, Cyrillic letters), and moved dots or hyphens (``eki.net`` for
``eki-net.com``).

Written here rather than taken from a library: dnstwist generates permutations forwards
(millions for a 60-brand list) and confusable_homoglyphs answers "is this mixed-script",
not "which brand does this imitate"; comparing each seen domain to each official one with
a bounded edit distance on a folded skeleton is small and fast.

A domain among the most visited ones (``data/lists/popular_domains.txt``, the Tranco top 10,000)
is never called a look-alike: ``youtu.be``, ``yimg.com`` or ``mlstatic.com`` resemble a brand's
domain because they belong to the brand or its peers, and a domain registered to deceive does not
reach that ranking.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from .brands import Brand, BrandIndex
from .domains import public_suffix
from .lists import domain_set

# Characters that render alike, folded to one representative (Latin look-alikes included).
_CONFUSABLE = str.maketrans({
    "0": "o", "1": "l", "i": "l", "|": "l", "!": "l", "3": "e", "5": "s", "$": "s", "@": "a",
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "l", "ј": "j",
    "ӏ": "l", "ԁ": "d", "ո": "n", "ս": "u", "ɡ": "g", "ı": "l", "ο": "o", "ν": "v", "α": "a",
    "κ": "k", "τ": "t", "ѕ": "s", "ԛ": "q", "ᴠ": "v", "ɑ": "a",
})
_MULTI = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("ii", "u"))
# One typo away from a label of five letters is too often another real name (tesco for tepco, chose
# for chase): typos count from six letters; homoglyphs and moved separators count from four.
TYPO_MIN = 6


@dataclass(frozen=True, slots=True)
class Lookalike:
    brand: Brand
    official: str  # the official registrable domain it imitates
    kind: str  # "homoglyph" | "typo" | "separator"


def skeleton(label: str) -> str:
    label = unicodedata.normalize("NFKD", label.lower())
    label = "".join(ch for ch in label if not unicodedata.combining(ch)).translate(_CONFUSABLE)
    for a, b in _MULTI:
        label = label.replace(a, b)
    return label


def _compact(text: str) -> str:
    return text.replace("-", "").replace(".", "")


def _distance_at_most_one(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance <= 1 (one insert, delete, substitution or swap)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


@dataclass(frozen=True, slots=True)
class _Official:
    brand: Brand
    domain: str
    label: str
    skeleton: str
    compact: str


@cache
def _officials(index: BrandIndex) -> tuple[_Official, ...]:
    out: list[_Official] = []
    for brand in index.brands:
        for domain in brand.official_domains:
            suffix = public_suffix(domain)
            label = domain[: -len(suffix) - 1] if suffix and domain.endswith("." + suffix) else domain
            if len(_compact(label)) < 4:
                continue  # too short to tell a lookalike from an unrelated name
            out.append(_Official(brand, domain, label, skeleton(label), _compact(label)))
    return tuple(out)


@lru_cache(maxsize=16384)
def find_lookalike(registrable: str, index: BrandIndex) -> Lookalike | None:
    """The brand domain that ``registrable`` imitates, or None (also None for any official
    domain of any brand)."""
    if not registrable or index.by_domain(registrable) is not None or registrable in domain_set("popular_domains"):
        return None
    suffix = public_suffix(registrable)
    label = registrable[: -len(suffix) - 1] if suffix and registrable.endswith("." + suffix) else registrable
    compact_label, compact_all = _compact(label), _compact(registrable)
    sk = skeleton(label)
    for off in _officials(index):
        if compact_label == off.compact or compact_all == off.compact:
            return Lookalike(off.brand, off.domain, "separator")
        if abs(len(sk) - len(off.skeleton)) > 1:
            continue
        if sk == off.skeleton and label != off.label:
            return Lookalike(off.brand, off.domain, "homoglyph")
        if len(off.label) >= TYPO_MIN and label != off.label and _distance_at_most_one(sk, off.skeleton):
            return Lookalike(off.brand, off.domain, "typo")
    return None
