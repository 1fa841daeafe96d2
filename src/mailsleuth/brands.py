"""Brand names, official domains and the matcher that finds them in mail.

The data lives in ``data/brands.json`` (its ``_format`` string documents every field, its
``_sources`` list where the entries come from). :class:`BrandIndex` loads it once per process
and answers three questions cheaply:

* :meth:`BrandIndex.find` - which brands are *named* in a text (display name, subject, body).
  The text is folded with :func:`mailsleuth.normalize.fold`; all names of all brands are
  compiled into one trie-shaped regular expression, so a 100 KB body is scanned in one pass.
  Latin names match on word boundaries ("DHL" not in "adhlx", "Apple" not in "pineapple");
  Japanese names match as substrings and may be spaced out ("三 井 住 友 カード"). Weak names
  (short or ambiguous ones such as "au", "ETC", "LINE") are only reported with ``allow_weak``,
  which callers pass for display names and subjects, never for body text.
* Confusables: a second pass matches the brand names on a *skeleton* of the text in which the
  look-alike characters phishers use are folded to one form (``I``/``l``/``1``/``|``, ``0``/``o``,
  ``rn``/``m``, ``vv``/``w``, Cyrillic and Greek homoglyphs of Latin letters). Names found only on
  the skeleton ("Amie from Iedger", "lеԁgеr" in Cyrillic) come back with ``confusable=True`` and
  the spelling seen: a brand spells its own name, so such a hit is evidence in itself. The fold
  is used only here, never for phrases or body text, since it would turn ordinary words into
  others.
* :meth:`BrandIndex.in_host` - which brands a hostname *imitates* (``eki-net`` in
  ``www.eki-net-member.revapec.cn``), ignoring hosts on the brand's own registrable domain.
* :meth:`BrandIndex.by_domain` / :meth:`BrandIndex.is_official` - whether a registrable domain
  belongs to a brand.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from .domains import psl as _psl
from .normalize import INVISIBLE_RE, KATA_TO_HIRA, LATIN_MARKS_RE, MARKS, fold

__all__ = ["BodyClaim", "Brand", "BrandHit", "BrandIndex", "HostHit", "confusable_skeleton", "registrable_domain"]

# Characters that continue a Latin word: a Latin name must not touch one of these on either side.
_WORD = "0-9a-z\u00c0-\u024f"
_WORD_RE = re.compile(f"[{_WORD}]")


@dataclass(frozen=True, slots=True)
class Brand:
    id: str
    name: str
    name_en: str
    country: str
    names: tuple[str, ...]
    weak_names: tuple[str, ...]
    host_tokens: tuple[str, ...]
    official_domains: tuple[str, ...]  # registrable domains (eTLD+1), ASCII/punycode, lower-case
    # Official carrier/ISP domains where the brand's subscribers also have mailboxes (docomo.ne.jp):
    # a sender there is a customer at least as often as the brand itself.
    user_mail_domains: tuple[str, ...] = ()
    # Brand-owned free-mail domains (gmail.com, outlook.com, icloud.com): anyone can send from them,
    # so they are not official; listed so that they are not taken for imitations either.
    free_mail_domains: tuple[str, ...] = ()
    # Brand-owned platforms that host third-party content or mail (tenant.sharepoint.com,
    # amazonses.com): not official, and not imitations by their own name.
    shared_domains: tuple[str, ...] = ()
    jpcert_descriptions: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True, slots=True)
class BrandHit:
    brand: Brand
    matched: str  # the folded name that matched
    weak: bool
    confusable: bool = False  # matched only after folding look-alike characters
    seen: str = ""  # for a confusable hit: the spelling in the text ("Iedger")


@dataclass(frozen=True, slots=True)
class BodyClaim:
    """A brand a body presents as its sender or the reader's provider (:meth:`BrandIndex.claims`)."""

    hit: BrandHit
    phrase: str  # the words around the name that make it a claim, folded ("lieber decathlon-kunde")


@dataclass(frozen=True, slots=True)
class HostHit:
    """A brand token found in a host name only after folding look-alike characters."""

    brand: Brand
    token: str  # the brand's host token ("ledger")
    seen: str  # the host label text that imitates it ("iedger", "xn--...")


# Look-alike characters folded for brand matching only (after NFKC and case folding). Latin
# i, l, 1 and | collapse to "l" (capital I and small l look the same in most fonts), 0 to "o",
# and Cyrillic/Greek letters to the Latin letters they imitate. Digits other than 0 and 1 and
# symbols such as "@" and "$" are left alone: "Airdrop@Lido" and "$5" are not disguises.
_SKELETON_MAP = str.maketrans({
    "i": "l", "1": "l", "|": "l", "0": "o",
    "а": "a", "в": "b", "е": "e", "ё": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y",
    "і": "l", "ї": "l", "ј": "j", "ӏ": "l", "ԁ": "d", "ո": "n", "ս": "u", "ѕ": "s", "ԛ": "q",
    "ԝ": "w", "к": "k", "м": "m", "н": "h", "т": "t", "һ": "h", "ɡ": "g", "ı": "l", "ɑ": "a",
    "α": "a", "β": "b", "ε": "e", "ι": "l", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ϲ": "c", "ᴠ": "v",
})
_SKELETON_PAIRS = (("rn", "m"), ("vv", "w"))
_SKELETON_FIRST = frozenset("rv")


def confusable_skeleton(folded: str) -> tuple[str, list[int]]:
    """Skeleton of an already folded text, and for each skeleton character the index of the
    folded character it comes from (so that a match can be shown as it was written)."""
    mapped = folded.translate(_SKELETON_MAP)
    if not any(ch in _SKELETON_FIRST for ch in mapped):
        return mapped, list(range(len(mapped)))
    out: list[str] = []
    pos: list[int] = []
    i, n = 0, len(mapped)
    while i < n:
        pair = mapped[i:i + 2]
        for a, b in _SKELETON_PAIRS:
            if pair == a:
                out.append(b)
                pos.append(i)
                i += 2
                break
        else:
            out.append(mapped[i])
            pos.append(i)
            i += 1
    return "".join(out), pos


def _ascii_host(host: str) -> str:
    """Lower-case, no trailing dot, IDNA (punycode) form where the host has non-ASCII labels."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if host.isascii():
        return host
    labels = []
    for label in host.split("."):
        if label.isascii():
            labels.append(label)
            continue
        try:
            labels.append(label.encode("idna").decode("ascii"))
        except UnicodeError:
            labels.append(label)
    return ".".join(labels)


def _unicode_label(label: str) -> str:
    if label.startswith("xn--"):
        try:
            return label.encode("ascii").decode("idna")
        except UnicodeError:
            return label
    return label


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def registrable_domain(host: str) -> str | None:
    """eTLD+1 of ``host`` per the Public Suffix List (ASCII form), or None for IPs and bare suffixes."""
    h = _ascii_host(host)
    if not h or _is_ip(h):
        return None
    reg = _psl().privatesuffix(h)
    return str(reg) if reg else None


def _compact(key: str) -> str:
    """A Latin name with its spaces and hyphens dropped ("trust wallet" -> "trustwallet")."""
    if not key.isascii() or not (" " in key or "-" in key):
        return key
    return key.replace(" ", "").replace("-", "")


# Letters spelled out one by one ("a d a c", "p.a.y.p.a.l"): three or more single letters or digits.
_SPACED_RE = re.compile(r"(?<![0-9a-z])[0-9a-z](?:[ .][0-9a-z]){2,}(?![0-9a-z])")
_SPACED_SEP_RE = re.compile(r"[ .]")

# Body brand claims (BrandIndex.claims). Line breaks are kept as "¶" so that a signature line
# ("Ihr Lidl-Team") can be told from a brand in the middle of a sentence ("... the Microsoft team
# decided"). The frames are written for folded text (lower case, NFKC, "ß" as "ss").
MAX_CLAIM_MATCHES = 2000  # brand-name matches looked at in one body
_CLAIM_WINDOW = 60  # characters on each side of a name that a frame may use
_LINE_RE = re.compile(r"[\r\n]+")
_GREET = (r"(?:dear|hello|hi|hey|greetings|lieber|liebe|sehr geehrte[rs]?|hallo|beste|geachte|cher|chère|chere|"
          r"chers|bonjour|salut|caro|cara|caros|prezado(?:\(a\))?|prezada|estimado|estimada|querido|querida|"
          r"olá|ola|hola)")
_ADJ = r"(?:(?:valued|esteemed|loyal|werte[rs]?|geschätzte[rs]?|fidèle|valioso|valiosa) )?"
_CUST = (r"(?:customers?|users?|members?|clients?|subscribers?|account ?holders?|card ?holders?|card ?members?|"
         r"kunden?|kundin(?:nen)?|nutzer(?:in)?|mitglied(?:er)?|klanten?|gebruikers?|leden|lid|clientes?|"
         r"utilisat(?:eur|rice)s?|abonnée?s?|membres?|usuários?|usuarios?|associados?|miembros?)")
_LEAD = (r"(?:^|¶ |[,.!:;=|] ?|(?:regards|sincerely|thanks|thank you|cheers|grüsse|grüssen|gruss|cordialement|"
         r"atenciosamente|saludos|groet|groeten|abraços|respectueusement),? )")
_POSS = r"(?:(?:the|your|ihr|ihre|dein|deine|euer|eure|votre|ton|l'|l’|seu|sua|su|uw|het|o|a|el) ?)?"
_TEAM_AFTER = (r"(?:[- ](?:account |security |support |customer (?:service|support|care) |kunden|service[- ]?)?team"
               r"|[- ](?:support|kundenservice|kundendienst|kundenteam|customer service|customer support|"
               r"customer care|service client|atendimento))(?: ?(?:$|¶|[.!,]))")
_END = r"^ ?(?:$|¶|[.!,])"
# (before, after): the text before the name must match ``before`` at its end, the text after it
# ``after`` at its start; None means anything.
_LATIN_FRAMES: tuple[tuple[re.Pattern[str] | None, re.Pattern[str] | None], ...] = tuple(
    (re.compile(b) if b else None, re.compile(a) if a else None) for b, a in (
        (rf"(?:^|\W){_GREET} {_ADJ}$", rf"^[- ]{_CUST}\b"),  # Dear Amazon customer, Lieber Decathlon-Kunde
        (rf"(?:^|\W){_GREET} {_ADJ}{_CUST} (?:(?:de|do|da|of|von|van|bei) )?$", None),  # Cher client Microsoft
        (rf"(?:^|¶ |[^\w\s] ){_GREET} $", r"^ ?[,!]"),  # Bonjour TrustWallet,
        (rf"{_LEAD}{_POSS}$", rf"^{_TEAM_AFTER}"),  # Ihr Lidl-Team, The Amazon Team
        (rf"{_LEAD}{_POSS}(?:équipe|equipe|equipo|team|time|service client|atendimento|kundenservice)"
         r"(?: (?:de|do|da|von|van))? $", _END),  # L'équipe Microsoft
        (r"(?:^|\W)(?:your|votre|ton|ihr|ihre|dein|deine|seu|sua|su|uw|je) $",
         r"^[- ](?:account|konto|kundenkonto|compte|conta|cuenta|membership|mitgliedschaft)\b"),  # your PayPal account
        (r"(?:^|\W)(?:(?:votre|ton|mon|sua|seu|su|mi|minha|uw) )?(?:compte|conta|cuenta)(?: (?:de|da|do))? $",
         None),  # Compte Microsoft, sua conta Itaú
    ))
# Japanese: "楽天カードをご利用のお客様", "三井住友カード会員様" (folded: katakana as hiragana).
_JA_AFTER_RE = re.compile(fold(r"^ ?(?:をご利用の|ご利用の|をご利用中の|の)?"
                               r"(?:お客様|お客さま|会員様|会員の皆様|会員各位|ユーザー様|利用者様)"))


def _is_claim(before: str, after: str, latin: bool) -> bool:
    if _JA_AFTER_RE.match(after):
        return True
    if not latin and not before.isascii() and not after.isascii():
        return False  # a Japanese name between Japanese words: only the Japanese frame applies
    for b_re, a_re in _LATIN_FRAMES:
        if (b_re is None or b_re.search(before)) and (a_re is None or a_re.match(after)):
            return True
    return False


def _claim_phrase(before: str, name: str, after: str) -> str:
    """The claim as it reads: up to three words before the name and two after it."""
    pre = _PRE_WORDS_RE.search(before)
    post = _POST_WORDS_RE.match(after)
    text = (pre.group() if pre else "") + name + (post.group() if post else "")
    text = " ".join(text.replace("¶", " ").split())
    return text if len(text) <= 80 else text[:79] + "…"


_PRE_WORDS_RE = re.compile(r"(?:[^ ]+ ){0,3}[^ ]*$")
_POST_WORDS_RE = re.compile(r"[^ ]*(?: [^ ]+){0,2}")


def _is_word_char(ch: str) -> bool:
    return bool(_WORD_RE.fullmatch(ch))


def _space_optional(a: str, b: str) -> bool:
    """A space between ``a`` and ``b`` is optional when either is non-ASCII (Japanese)."""
    return not (a.isascii() and b.isascii())


def _canon(folded: str) -> str:
    """Key of a folded name or match: spaces next to non-ASCII characters dropped."""
    if " " not in folded or folded.isascii():
        return folded
    out = []
    n = len(folded)
    for i, ch in enumerate(folded):
        if ch == " " and 0 < i < n - 1 and _space_optional(folded[i - 1], folded[i + 1]):
            continue
        out.append(ch)
    return "".join(out)


class _Node:
    __slots__ = ("children", "terminal")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.terminal = False


def _trie_pattern(keys: list[str]) -> str:
    root = _Node()
    for key in keys:
        node = root
        for ch in key:
            node = node.children.setdefault(ch, _Node())
        node.terminal = True

    def emit(node: _Node, prev: str) -> str:
        alts = []
        for ch in sorted(node.children):
            sep = " ?" if ch != " " and prev != " " and _space_optional(prev, ch) else ""
            alts.append(sep + re.escape(ch) + emit(node.children[ch], ch))
        if node.terminal:
            alts.append(f"(?![{_WORD}])" if _is_word_char(prev) else "")
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"

    # Two top-level branches, each behind one cheap test, so that the scan costs a couple of
    # checks per position instead of one per first character: Latin names only start where a
    # word starts (and so never continue a word), the others only on one of their first chars.
    parts = []
    for latin in (True, False):
        firsts = [ch for ch in sorted(root.children) if _is_word_char(ch) == latin]
        if not firsts:
            continue
        body = "|".join(re.escape(ch) + emit(root.children[ch], ch) for ch in firsts)
        charset = "".join(re.escape(ch) for ch in firsts)
        guard = f"(?<![{_WORD}])" if latin else ""
        parts.append(f"{guard}(?=[{charset}])(?:{body})")
    return "|".join(parts) if parts else "(?!)"


def _domain_entries(raw: Any) -> list[dict[str, Any]]:
    return [e if isinstance(e, dict) else {"domain": e} for e in (raw or [])]


_T = TypeVar("_T")
MEMO_MAX = 65536  # hosts remembered per index: a batch repeats its link hosts, a hostile one cannot grow it


def _memo(cache: dict[str, _T], key: str, compute: Callable[[str], _T]) -> _T:
    """``compute(key)``, remembered in ``cache`` (up to ``MEMO_MAX`` entries)."""
    found = cache.get(key)
    if found is None:
        found = compute(key)
        if len(cache) < MEMO_MAX:
            cache[key] = found
    return found


class BrandIndex:
    """All brands, with the compiled matchers. Build with :meth:`load`."""

    brands: tuple[Brand, ...]

    def __init__(self, brands: tuple[Brand, ...]) -> None:
        self.brands = brands
        self._by_id: dict[str, Brand] = {}
        for b in brands:
            if b.id in self._by_id:
                raise ValueError(f"duplicate brand id {b.id!r}")
            self._by_id[b.id] = b

        # name key -> (brand, folded name, weak)
        self._names: dict[str, tuple[Brand, str, bool]] = {}
        for b in brands:
            for weak, names in ((False, b.names), (True, b.weak_names)):
                for name in names:
                    folded = fold(name)
                    if not folded:
                        continue
                    key = _canon(folded)
                    seen = self._names.get(key)
                    if seen is not None and seen[0].id != b.id:
                        raise ValueError(f"name {name!r} of {b.id!r} is also a name of {seen[0].id!r}")
                    if seen is None or (seen[2] and not weak):
                        self._names[key] = (b, folded, weak)
        # compact forms of Latin names of several words ("Trust Wallet" -> "trustwallet", "BNB
        # Chain" -> "bnbchain"): senders glue the words together; a listed name keeps priority
        for key, (b, _folded, weak) in list(self._names.items()):
            compact = _compact(key)
            if compact != key and len(compact) >= 6 and compact not in self._names:
                self._names[compact] = (b, compact, weak)
        strong = [k for k, v in self._names.items() if not v[2]]
        self._strong_re = re.compile(_trie_pattern(strong))
        self._all_re = re.compile(_trie_pattern(list(self._names)))
        # the same names on the confusable skeleton; where two names share a skeleton, the first wins
        self._skel_names: dict[str, tuple[Brand, str, bool]] = {}
        for key, entry in self._names.items():
            self._skel_names.setdefault(confusable_skeleton(key)[0], entry)
        skel_strong = [k for k, v in self._skel_names.items() if not v[2]]
        self._skel_strong_re = re.compile(_trie_pattern(skel_strong))
        self._skel_all_re = re.compile(_trie_pattern(list(self._skel_names)))

        self._official: dict[str, list[Brand]] = {}
        self._own: dict[str, set[str]] = {}  # official or free-mail domain -> ids of the brands owning it
        self._shared: dict[str, list[Brand]] = {}
        for b in brands:
            for d in b.official_domains:
                self._official.setdefault(d, []).append(b)
            for d in (*b.official_domains, *b.free_mail_domains):
                self._own.setdefault(d, set()).add(b.id)
            for d in b.shared_domains:
                self._shared.setdefault(d, []).append(b)
        self._tokens: list[tuple[str, Brand]] = []
        for b in brands:
            for tok in b.host_tokens:
                t = fold(tok)
                if t:
                    self._tokens.append((t, b))
        alts = sorted({re.escape(t) for t, _ in self._tokens}, key=len, reverse=True)
        self._token_re = re.compile("|".join(alts) if alts else "(?!)")
        self._host_cache: dict[str, list[tuple[Brand, str]]] = {}
        # host tokens on the skeleton: only tokens of five or more characters, since a short token
        # ("ups", "jal") is too easily made out of an ordinary label by folding
        self._skel_tokens = [(confusable_skeleton(t)[0], t, b) for t, b in self._tokens if len(t) >= 5]
        skel_alts = sorted({re.escape(t) for t, _, _ in self._skel_tokens}, key=len, reverse=True)
        self._skel_token_re = re.compile("|".join(skel_alts) if skel_alts else "(?!)")
        self._confusable_cache: dict[str, list[HostHit]] = {}

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: Path | None = None) -> BrandIndex:
        """Load ``path`` (default: the packaged ``data/brands.json``; that one is cached)."""
        if path is None:
            return _default_index()
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> BrandIndex:
        brands = []
        for e in doc["brands"]:
            official = _domain_entries(e.get("official_domains"))
            brands.append(
                Brand(
                    id=str(e["id"]),
                    name=str(e["name"]),
                    name_en=str(e.get("name_en") or e["name"]),
                    country=str(e["country"]),
                    names=tuple(e.get("names") or ()),
                    weak_names=tuple(e.get("weak_names") or ()),
                    host_tokens=tuple(e.get("host_tokens") or ()),
                    official_domains=tuple(_ascii_host(d["domain"]) for d in official),
                    user_mail_domains=tuple(_ascii_host(d["domain"]) for d in official if d.get("user_mail")),
                    free_mail_domains=tuple(
                        _ascii_host(d["domain"]) for d in _domain_entries(e.get("free_mail_domains"))
                    ),
                    shared_domains=tuple(
                        _ascii_host(d["domain"]) for d in _domain_entries(e.get("shared_domains"))
                    ),
                    jpcert_descriptions=tuple(e.get("jpcert_descriptions") or ()),
                    note=e.get("note"),
                )
            )
        return cls(tuple(brands))

    # ------------------------------------------------------------------ queries
    def get(self, brand_id: str) -> Brand | None:
        return self._by_id.get(brand_id)

    def find(self, text: str, *, allow_weak: bool = False, confusables: bool | None = None) -> list[BrandHit]:
        """Brands named in ``text`` (raw, un-folded), one hit per brand: the plainly spelled ones in
        order of first occurrence, then those found only on the confusable skeleton.

        ``confusables`` defaults to ``allow_weak``: both are meant for the short texts a sender
        chooses (display names and subjects), where a disguised brand name is a trick; in body
        text the skeleton would turn too many ordinary words into names.
        """
        folded = fold(text)
        if not folded:
            return []
        pattern = self._all_re if allow_weak else self._strong_re
        hits: list[BrandHit] = []
        seen: set[str] = set()
        for m in pattern.finditer(folded):
            entry = self._names.get(_canon(m.group()))
            if entry is None:  # cannot happen: every match is a key
                continue
            brand, name, weak = entry
            if brand.id in seen:
                continue
            seen.add(brand.id)
            hits.append(BrandHit(brand, name, weak))
        if allow_weak:
            hits.extend(self._find_spaced(folded, seen))
        if confusables if confusables is not None else allow_weak:
            hits.extend(self._find_cut(text, folded, seen))
            hits.extend(self._find_confusable(text, folded, allow_weak, seen))
            if not text.isascii() and LATIN_MARKS_RE.search(text[:_MARKED_MAX]):
                hits = _marked_hits(text, hits)
        return hits

    def _find_cut(self, text: str, folded: str, seen: set[str]) -> list[BrandHit]:
        """Names cut inside by punctuation ("D'isney Plus", "A-m-a-z-o-n", "Pay-Pal"): runs of
        letters and in-word punctuation are joined, and a name found in the joined text counts
        when it holds whole joined runs only (so "amazon.com" or "e-mail" make nothing up). A
        brand spells its own name whole, so such a hit counts as a confusable spelling."""
        end = min(len(folded), _CUT_MAX)
        cuts = [(m.start(), m.end(), _CUT_SEP_RE.sub("", m.group())) for m in _CUT_RE.finditer(folded, 0, end)]
        if not cuts:
            return []
        pieces: list[str] = []
        spans: list[tuple[int, int, int, int]] = []  # joined start, joined end, folded start, folded end
        at = jat = 0
        for start, stop, joined in cuts:
            pieces.append(folded[at:start])
            jat += start - at
            spans.append((jat, jat + len(joined), start, stop))
            pieces.append(joined)
            jat += len(joined)
            at = stop
        pieces.append(folded[at:end])
        text_joined = "".join(pieces)
        shown = _shown(text)
        source = shown if len(shown) == len(folded) else folded
        hits: list[BrandHit] = []
        for m in self._all_re.finditer(text_joined):
            inside = [sp for sp in spans if m.start() <= sp[0] and sp[1] <= m.end()]
            cut_off = any(sp[0] < m.start() < sp[1] or sp[0] < m.end() < sp[1] for sp in spans)
            entry = self._names.get(_canon(m.group()))
            if not inside or cut_off or entry is None or entry[0].id in seen:
                continue
            brand, name, weak = entry
            if len(name.replace(" ", "")) < (5 if weak else 4):
                continue
            first, last = inside[0], inside[-1]
            o_start = first[2] - (first[0] - m.start())
            o_end = last[3] + (m.end() - last[1])
            written = folded[o_start:o_end]
            if written == name or _CUT_SEP_RE.sub(" ", written) in self._names:
                continue  # the name itself ("coca-cola"), or its words joined by a dot ("celsius.network")
            seen.add(brand.id)
            hits.append(BrandHit(brand, name, weak, confusable=True, seen=source[o_start:o_end]))
        return hits

    def _find_spaced(self, folded: str, seen: set[str]) -> list[BrandHit]:
        """Names spelled out letter by letter ("a d a c", "P.a.y.P.a.l"): a disguise only used in
        names and subjects, matched once the letters are joined."""
        if not _SPACED_RE.search(folded):
            return []
        joined = _SPACED_RE.sub(lambda m: _SPACED_SEP_RE.sub("", m.group()), folded)
        hits: list[BrandHit] = []
        for m in self._all_re.finditer(joined):
            entry = self._names.get(_canon(m.group()))
            if entry is None or entry[0].id in seen:
                continue
            brand, name, weak = entry
            seen.add(brand.id)
            hits.append(BrandHit(brand, name, weak))
        return hits

    def claims(self, text: str, *, most: int = MAX_CLAIM_MATCHES) -> list[BodyClaim]:
        """Brands that ``text`` (a body, raw) presents as its sender or as the reader's provider:
        a brand inside a greeting, a signature or an account phrase - "Dear Amazon customer",
        "Lieber Decathlon-Kunde", "Cher client Microsoft", "Ihr Lidl-Team", "Compte Microsoft",
        "楽天カードをご利用のお客様" - not every brand the text names. Newsletters and discussions
        name brands all the time; only these frames make the brand the speaker.

        Weak names count here (the frame removes the doubt), except Latin ones under three
        letters. Only the first ``most`` name matches are looked at, so the cost stays linear."""
        marked = fold(_LINE_RE.sub(" \u00b6 ", text))
        if not marked:
            return []
        out: list[BodyClaim] = []
        seen: set[str] = set()
        for n, m in enumerate(self._all_re.finditer(marked)):
            if n >= most:
                break
            entry = self._names.get(_canon(m.group()))
            if entry is None or entry[0].id in seen:
                continue
            brand, name, weak = entry
            if weak and name.isascii() and len(name) < 3:
                continue
            before = marked[max(0, m.start() - _CLAIM_WINDOW):m.start()]
            after = marked[m.end():m.end() + _CLAIM_WINDOW]
            if not _is_claim(before, after, name.isascii()):
                continue
            seen.add(brand.id)
            phrase = _claim_phrase(before, m.group(), after)
            out.append(BodyClaim(BrandHit(brand, name, weak), phrase))
        return out

    def _find_confusable(self, text: str, folded: str, allow_weak: bool, seen: set[str]) -> list[BrandHit]:
        skel, pos = confusable_skeleton(folded)
        if skel == folded:
            return []  # nothing was folded: the plain pass has seen it all
        pattern = self._skel_all_re if allow_weak else self._skel_strong_re
        shown = _shown(text)
        source = shown if len(shown) == len(folded) else folded
        hits: list[BrandHit] = []
        for m in pattern.finditer(skel):
            entry = self._skel_names.get(_canon(m.group()))
            if entry is None or entry[0].id in seen:
                continue
            start, end = pos[m.start()], (pos[m.end()] if m.end() < len(pos) else len(folded))
            written = folded[start:end]
            if _canon(written) == _canon(entry[1]):
                continue  # spelled plainly, only cut off differently
            brand, name, weak = entry
            seen.add(brand.id)
            hits.append(BrandHit(brand, name, weak, confusable=True, seen=source[start:end]))
        return hits

    def in_host(self, host: str) -> list[tuple[Brand, str]]:
        """Brands whose host_tokens appear in the labels of ``host`` (punycode decoded).

        The public suffix is not searched. A host on a registrable domain that is official (or
        free-mail) for some brand (``www.eki-net.com``, ``rakuten-card.co.jp``, ``icloud.com``) is
        not an imitation of anything by its own name, so only its subdomain labels are searched,
        and never for the brands that own it. Shared platforms (``tenant.sharepoint.com``) have
        their own label skipped but their subdomain labels searched for every brand.
        """
        h = _ascii_host(host)
        return _memo(self._host_cache, h, self._in_host)

    def _in_host(self, h: str) -> list[tuple[Brand, str]]:
        searched, owners = self._searched_labels(h)
        text = ".".join(fold(_unicode_label(lab)) for lab in searched)
        if not text or not self._token_re.search(text):
            return []
        found: list[tuple[int, Brand, str]] = []
        done: set[str] = set()
        for tok, brand in self._tokens:
            if brand.id in owners or brand.id in done:
                continue
            pos = _token_at_boundary(text, tok)
            if pos >= 0:
                done.add(brand.id)
                found.append((pos, brand, tok))
        found.sort(key=lambda t: t[0])
        return [(b, tok) for _, b, tok in found]

    def host_confusables(self, host: str) -> list[HostHit]:
        """Brands whose host tokens (five characters or more) appear in ``host`` only after
        folding look-alike characters (``app1e-id.example``, ``xn--ldger-...``), with the same
        rules as :meth:`in_host` for official and shared domains."""
        h = _ascii_host(host)
        return _memo(self._confusable_cache, h, self._host_confusables)

    def _host_confusables(self, h: str) -> list[HostHit]:
        searched, owners = self._searched_labels(h)
        if not searched:
            return []
        text = ".".join(fold(_unicode_label(lab)) for lab in searched)
        skel, pos = confusable_skeleton(text)
        if skel == text or not self._skel_token_re.search(skel):
            return []
        found: list[tuple[int, HostHit]] = []
        done: set[str] = set()
        for sk, tok, brand in self._skel_tokens:
            if brand.id in owners or brand.id in done:
                continue
            at = _token_at_boundary(skel, sk)
            if at < 0:
                continue
            end = at + len(sk)
            written = text[pos[at]:(pos[end] if end < len(pos) else len(text))]
            if written == tok or _token_at_boundary(text, tok) >= 0:
                continue  # plainly spelled: in_host reports it
            done.add(brand.id)
            found.append((at, HostHit(brand, tok, written)))
        found.sort(key=lambda t: t[0])
        return [hit for _, hit in found]

    def _searched_labels(self, h: str) -> tuple[list[str], set[str]]:
        """The labels of ``h`` that may imitate a brand, and the ids of brands owning its domain."""
        if not h or _is_ip(h):
            return [], set()
        psl = _psl()
        reg = psl.privatesuffix(h)
        pub = psl.publicsuffix(h)
        if not reg or not pub:
            return [], set()
        labels = h.split(".")
        n_pub = pub.count(".") + 1
        owners = self._own.get(reg, set())
        # on an official or shared domain, the registrable label itself is the brand's own name
        n_skip = n_pub + 1 if owners or reg in self._shared else n_pub
        return labels[:-n_skip], owners

    def _lookup(self, domain: str, table: dict[str, list[Brand]]) -> list[Brand]:
        d = _ascii_host(domain)
        owners = table.get(d)
        if owners is None:
            reg = registrable_domain(d)
            owners = table.get(reg) if reg and reg != d else None
        return owners or []

    def by_domain(self, registrable_domain: str) -> Brand | None:
        """The brand that owns this official registrable domain (a full host is reduced to it)."""
        owners = self._lookup(registrable_domain, self._official)
        return owners[0] if owners else None

    def is_official(self, brand: Brand, registrable_domain: str) -> bool:
        return any(b.id == brand.id for b in self._lookup(registrable_domain, self._official))

    def is_brand_domain(self, registrable_domain: str) -> bool:
        """Some brand runs this domain, officially or as its free-mail service (proton.me, gmail.com):
        its web pages live there, whatever its top-level domain."""
        return _ascii_host(registrable_domain) in self._own


def _shown(text: str) -> str:
    """``text`` folded as :func:`fold` does but keeping case and kana, to show a match as written."""
    text = INVISIBLE_RE.sub("", text)
    if not text.isascii():
        text = LATIN_MARKS_RE.sub("", unicodedata.normalize("NFKC", text))
    return _SPACE_RE.sub(" ", text).strip()


# Brand names cut by in-word punctuation (BrandIndex._find_cut): a run of letters and the marks
# that may cut a word, with at least one mark between two letters. The letter runs and the marks
# are disjoint classes and every repeat is bounded, so a match is found without backtracking.
_CUT_CHARS = "'\u2019\\-._*\u00b7"
_CUT_RE = re.compile(f"(?<![0-9a-z{_CUT_CHARS}])[0-9a-z]{{1,30}}(?:[{_CUT_CHARS}][0-9a-z]{{1,30}}){{1,20}}"
                     f"(?![0-9a-z{_CUT_CHARS}])")
_CUT_SEP_RE = re.compile(f"[{_CUT_CHARS}]")
_CUT_MAX = 2000  # characters of a name or subject searched for cut names
_MARKED_MAX = 2000  # characters of a name or subject searched for marked names


@functools.lru_cache(maxsize=1024)
def _marked_name_re(name: str) -> re.Pattern[str]:
    """``name`` with any run of combining marks allowed after each of its characters."""
    return re.compile("".join(re.escape(ch) + f"[{MARKS}]*" for ch in name))


def _marked_hits(text: str, hits: list[BrandHit]) -> list[BrandHit]:
    """``hits`` with the Latin names that ``text`` writes with combining marks on their letters
    ("Aܿmܿaܿzܿoܿn", "M̶icrosoft") turned into confusable hits: :func:`fold` drops such marks so
    that the name is found, and a brand never sprinkles marks over its own name."""
    head = INVISIBLE_RE.sub("", text[:_MARKED_MAX])
    kept = _SPACE_RE.sub(" ", unicodedata.normalize("NFKC", head)).strip()
    lowered = kept.translate(KATA_TO_HIRA).casefold()
    source = kept if len(lowered) == len(kept) else lowered
    out: list[BrandHit] = []
    for hit in hits:
        if hit.confusable or not hit.matched.isascii():
            out.append(hit)
            continue
        m = _marked_name_re(hit.matched).search(lowered)
        if m is None or len(m.group()) == len(hit.matched):
            out.append(hit)
            continue
        out.append(BrandHit(hit.brand, hit.matched, hit.weak, confusable=True, seen=source[m.start():m.end()]))
    return out


_SPACE_RE = re.compile(r"\s+")


def _is_boundary(ch: str) -> bool:
    return ch in ".-_" or ch.isdigit()


def _token_at_boundary(text: str, tok: str) -> int:
    """Position of ``tok`` in ``text`` where it stands as a word of the host name: delimited by
    dots, hyphens or digits on both sides (``eki-net-member``), or on one side for tokens of six
    or more characters (``amazonsecurity``). ``applecore`` and ``shagmail`` are other words."""
    start = text.find(tok)
    while start >= 0:
        end = start + len(tok)
        before = start == 0 or _is_boundary(text[start - 1])
        after = end == len(text) or _is_boundary(text[end])
        if (before and after) or (len(tok) >= 6 and (before or after)):
            return start
        start = text.find(tok, start + 1)
    return -1


@functools.cache
def _default_index() -> BrandIndex:
    ref = resources.files("mailsleuth").joinpath("data", "brands.json")
    return BrandIndex.from_json(json.loads(ref.read_text(encoding="utf-8")))
