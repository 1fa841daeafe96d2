"""A small trained text classifier: how much a mail *reads* like phishing, spam or ordinary mail.

Why this design:

* **Features a hand-written rule cannot enumerate, cheap to compute.** Latin words (Japanese has
  no spaces, so kana/kanji runs give character 2- and 3-grams instead), the subject's tokens
  once more under an ``s:`` prefix (subjects are short and telling), and for each link host its
  top-level and registrable-looking domain (``u:tld:cn``, ``u:dom:example.co.jp``). Text is
  folded first (NFKC, case, invisible characters); katakana stay apart from hiragana, and
  n-grams of hiragana alone (grammar, not content) are left out, so that the model leans on
  what a Japanese mail says rather than on its being Japanese. Digits are dropped (dates and
  amounts change, the wording does not); a mailing-list footer is cut off (the corpus's
  Japanese phishing came through public lists: the footer would teach "list mail is
  phishing"); only the subject and the first ``MAX_BODY`` characters are read, so the cost per
  message is bounded.
* **TF-IDF with sublinear counts, L2-normalised, then multinomial logistic regression over the
  three labels** (``phishing``, ``spam``, ``ham``). The labels are mutually exclusive, so one
  softmax gives probabilities that add up to one and a single weight table; the weights are
  stored centred over the classes (softmax does not change), so a term's weight for a class is
  directly its push toward that class against the others: that is the explanation shown to users
  (:attr:`Prediction.top_terms`).
* **No scikit-learn at run time.** Training (``train``, ``train_from_labels``) imports
  scikit-learn lazily (the ``train`` extra). The fitted model is exported to one JSON file -
  vocabulary -> (idf, one weight per class), intercepts - and inference here is a dictionary
  lookup per feature in pure Python: no numpy, no scipy, no per-message set-up.
"""

from __future__ import annotations

import csv
import importlib
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from .normalize import INVISIBLE_RE

__all__ = [
    "CLASSES",
    "MAX_BODY",
    "MAX_SUBJECT",
    "MessageText",
    "Prediction",
    "TextModel",
    "featurize",
    "fit_tokens",
    "load_model",
    "message_text",
    "read_labels",
    "train",
    "train_from_labels",
]

CLASSES = ("phishing", "spam", "ham")
FORMAT = "mailsleuth-text-model"
FORMAT_VERSION = 1
FEATURES_VERSION = 1  # bump when ``featurize`` changes: a model records the version it was trained with
MAX_SUBJECT = 300  # characters of the subject read
MAX_BODY = 8_000  # characters of the body read (after the list footer is cut)
MAX_HOSTS = 30  # distinct link hosts read
TOP_TERMS = 5
DEFAULT_C = 32.0  # inverse L2 regularisation strength of the logistic regression
DEFAULT_MAX_FEATURES = 20_000
DEFAULT_MIN_DF = 2
ROUND = 4  # decimals kept in the exported model (also what makes the file byte-stable)
TRAIN_EXTRA = "mailsleuth[train]"

_CJK = "\u3001-\u303f\u3041-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK punctuation, kana, kanji
_CJK_RUN_RE = re.compile(f"[{_CJK}]+")
_GRAMMAR = frozenset(chr(c) for c in [*range(0x3001, 0x3040), *range(0x3041, 0x30A0)])  # punctuation, hiragana
_WORD_RE = re.compile("[a-z\u00df-\u00f6\u00f8-\u024f\u0370-\u03ff\u0400-\u04ff]+")
_URL_HOST_RE = re.compile(r"(?:https?|hxxps?)://(?:[^\s/@]{1,64}@)?([a-z0-9][a-z0-9.\-]{0,252})")
_IPV4_RE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_FOOTER_RE = re.compile(r"\n[ \t]*_{20,}[ \t]*\r?\n")
_FOOTER_WORDS = ("mailing list", "listinfo", "mailman")
_FOOTER_TAIL = 1_500  # a list footer is this many characters at most
# Second-level labels under a two-letter country TLD that are not registrable (co.jp, com.br ...).
_SECOND_LEVEL = frozenset({"ac", "co", "com", "ed", "edu", "go", "gov", "gr", "lg", "ne", "net", "or", "org"})
_MIN_WORD, _MAX_WORD = 2, 30


class MessageText(NamedTuple):
    """What the classifier reads of a message: its subject, its visible body text, link hosts."""

    subject: str
    body: str
    hosts: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Features


def strip_list_footer(body: str) -> str:
    """Cut a mailing-list footer (a rule of underscores, then "X mailing list" / listinfo URL)."""
    start = max(0, len(body) - _FOOTER_TAIL)
    last = None
    for m in _FOOTER_RE.finditer(body, start):
        last = m
    if last is None:
        return body
    tail = body[last.end():].lower()
    return body[: last.start()] if any(w in tail for w in _FOOTER_WORDS) else body


def light_fold(text: str) -> str:
    """NFKC, invisible characters removed, case-folded. Unlike ``normalize.fold``, katakana stay
    katakana: in features they mark loanwords and names (アカウント, カード), while hiragana
    mostly carry grammar."""
    text = INVISIBLE_RE.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.casefold()


def _cjk_grams(run: str, prefix: str) -> list[str]:
    """2- and 3-grams of a kana/kanji run, except those made only of hiragana and punctuation
    (ます。, して, いた: how Japanese is written, not what the mail says)."""
    plain = [c in _GRAMMAR for c in run]
    n = len(run)
    out = [prefix + run[i:i + 2] for i in range(n - 1) if not (plain[i] and plain[i + 1])]
    out += [prefix + run[i:i + 3] for i in range(n - 2) if not (plain[i] and plain[i + 1] and plain[i + 2])]
    return out


def _text_tokens(folded: str, prefix: str = "") -> list[str]:
    words = [prefix + w for w in _WORD_RE.findall(folded) if _MIN_WORD <= len(w) <= _MAX_WORD]
    for run in _CJK_RUN_RE.findall(folded):
        if len(run) >= 2:
            words += _cjk_grams(run, prefix)
    return words


def registrable_guess(host: str) -> str:
    """The last two labels of ``host``, three under ``co.jp``-like second levels (no PSL needed)."""
    labels = host.split(".")
    n = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-n:])


def _host_tokens(hosts: Iterable[str]) -> list[str]:
    out: list[str] = []
    for host in sorted(hosts)[:MAX_HOSTS]:
        if _IPV4_RE.fullmatch(host):
            out.append("u:ip")
        elif "." in host:
            out.append("u:tld:" + host.rsplit(".", 1)[1])
            out.append("u:dom:" + registrable_guess(host))
    return out


def _clean_hosts(folded_body: str, hosts: Iterable[str]) -> set[str]:
    found = {h.strip(".-") for h in _URL_HOST_RE.findall(folded_body)}
    found.update(h.strip().strip(".").lower() for h in hosts)
    return {h for h in found if h}


def _folded(subject: str, body: str) -> tuple[str, str]:
    return light_fold(subject[:MAX_SUBJECT]), light_fold(strip_list_footer(body)[:MAX_BODY])


def _tokens(subject_f: str, body_f: str, hosts: Iterable[str]) -> list[str]:
    tokens = _text_tokens(subject_f + "\n" + body_f)
    tokens += _text_tokens(subject_f, "s:")
    tokens += _host_tokens(_clean_hosts(body_f, hosts))
    return tokens


def featurize(subject: str, body: str, hosts: Iterable[str] = ()) -> list[str]:
    """The feature tokens of a message, with repetitions (their counts are the term frequencies).

    Words of Latin (and Greek, Cyrillic) script, 2- and 3-grams of kana/kanji runs, the subject's
    tokens again under ``s:``, and ``u:`` tokens for link hosts found in the body or given."""
    return _tokens(*_folded(subject, body), hosts)


def message_text(data: bytes) -> MessageText:
    """Read a raw mail the way the ``TEXT_MODEL_*`` checks see it (subject without list tag and
    spam stamps, visible body text, hosts of the mail's own links)."""
    from .brands import BrandIndex
    from .evidence import gather
    from .mime import parse_message

    ev = gather(parse_message(data), brand_index=BrandIndex.load(), countries=None)
    return MessageText(ev.subject, ev.text, tuple(link.host for link in ev.links))


# ---------------------------------------------------------------------------------------------
# Inference


@dataclass(frozen=True, slots=True)
class Prediction:
    label: str  # the most probable class
    probs: dict[str, float]  # class -> probability, summing to 1
    top_terms: list[tuple[str, float]]  # terms of this message that pushed most toward ``label``


class TextModel:
    """A trained model: ``terms`` maps a feature to ``(idf, weight per class...)`` in ``classes``
    order, weights centred over the classes; ``intercepts`` likewise."""

    def __init__(self, classes: Sequence[str], intercepts: Sequence[float],
                 terms: dict[str, tuple[float, ...]], meta: dict[str, Any] | None = None) -> None:
        self.classes = tuple(classes)
        self.intercepts = tuple(intercepts)
        self.terms = terms
        self.meta: dict[str, Any] = dict(meta or {})
        if len(self.intercepts) != len(self.classes):
            raise ValueError("one intercept per class is needed")

    # -- scoring --

    def _weights(self, tokens: list[str]) -> tuple[list[tuple[str, float, tuple[float, ...]]], float]:
        """(feature, tf-idf value, row) for each known feature, and the L2 norm of the values."""
        terms = self.terms
        present: list[tuple[str, float, tuple[float, ...]]] = []
        norm2 = 0.0
        for tok, n in Counter(tokens).items():
            row = terms.get(tok)
            if row is None:
                continue
            value = (1.0 + math.log(n)) * row[0]
            norm2 += value * value
            present.append((tok, value, row))
        return present, math.sqrt(norm2)

    def _logits(self, present: list[tuple[str, float, tuple[float, ...]]], scale: float) -> list[float]:
        sums = [0.0] * len(self.classes)
        for _, value, row in present:
            for k in range(len(sums)):
                sums[k] += value * row[k + 1]
        return [b + s * scale for b, s in zip(self.intercepts, sums, strict=True)]

    def logits(self, tokens: list[str]) -> list[float]:
        """Raw class scores (softmax inputs) of featurized tokens, in ``classes`` order."""
        present, norm = self._weights(tokens)
        return self._logits(present, 1.0 / norm if norm else 0.0)

    def predict(self, subject: str, body: str, hosts: Iterable[str] = ()) -> Prediction:
        """Class probabilities of a message, and the terms that pushed most toward the winner."""
        subject_f, body_f = _folded(subject, body)
        present, norm = self._weights(_tokens(subject_f, body_f, hosts))
        scale = 1.0 / norm if norm else 0.0
        logits = self._logits(present, scale)
        top = max(logits)
        exps = [math.exp(v - top) for v in logits]
        total = sum(exps)
        probs = {c: e / total for c, e in zip(self.classes, exps, strict=True)}
        k = logits.index(top)
        contrib = sorted(((value * scale * row[k + 1], tok) for tok, value, row in present), reverse=True)
        positive = [(tok, c) for c, tok in contrib[:4 * TOP_TERMS] if c > 0]
        terms = explain_terms(positive, subject_f + "\n" + body_f, subject[:MAX_SUBJECT] + "\n" + body[:MAX_BODY])
        return Prediction(self.classes[k], probs, terms)

    # -- files --

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "format_version": FORMAT_VERSION, "features_version": FEATURES_VERSION,
            "classes": list(self.classes), "intercepts": list(self.intercepts), "meta": self.meta,
            "terms": {t: list(row) for t, row in sorted(self.terms.items())},
        }

    def save(self, path: Path) -> None:
        """Write the model as compact JSON (sorted, so the same model gives the same bytes)."""
        text = json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        Path(path).write_text(text + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> TextModel:
        if doc.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file")
        if doc.get("features_version") != FEATURES_VERSION:
            raise ValueError(f"model features version {doc.get('features_version')} is not {FEATURES_VERSION}: "
                             "retrain it with this version of mailsleuth")
        classes = [str(c) for c in doc["classes"]]
        width = len(classes) + 1
        terms: dict[str, tuple[float, ...]] = {}
        for term, row in doc["terms"].items():
            if len(row) != width:
                raise ValueError(f"term {term!r}: expected {width} numbers")
            terms[term] = tuple(row)
        return cls(classes, [float(x) for x in doc["intercepts"]], terms, doc.get("meta") or {})

    @classmethod
    def load(cls, path: Path) -> TextModel:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


@cache
def _default_model() -> TextModel:
    text = resources.files("mailsleuth.data").joinpath("model").joinpath("text_model.json").read_text(encoding="utf-8")
    return TextModel.from_json(json.loads(text))


def load_model(path: Path | None = None) -> TextModel:
    """Load ``path``, or the model shipped in the package (read once per process)."""
    return _default_model() if path is None else TextModel.load(path)


# ---------------------------------------------------------------------------------------------
# Explanation: features -> words as the mail wrote them


def _display(token: str) -> str:
    """The text a feature stands for (``s:`` subject tokens are the same words; hosts shown as such)."""
    if token.startswith("s:"):
        return token[2:]
    if token.startswith("u:tld:"):
        return "." + token[6:]
    if token.startswith("u:dom:"):
        return token[6:]
    if token == "u:ip":
        return "http://<IP address>"
    return token


def _merge_cjk(items: list[tuple[str, float]], folded: str) -> list[tuple[str, float]]:
    """Join overlapping kana/kanji n-grams into the stretch of text they cover ("アカ", "カウ" ...
    -> "アカウント"), adding their weights; other terms pass through."""
    spans: list[tuple[int, int, float]] = []
    out: list[tuple[str, float]] = []
    for text, weight in items:
        pos = folded.find(text) if _CJK_RUN_RE.fullmatch(text) else -1
        if pos < 0:
            out.append((text, weight))
        else:
            spans.append((pos, pos + len(text), weight))
    spans.sort()
    merged: list[list[float]] = []
    for start, end, weight in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2] += weight
        else:
            merged.append([start, end, weight])
    out += [(folded[int(s):int(e)], w) for s, e, w in merged]
    return out


def as_written(folded: str, original: str) -> str:
    """``folded`` as the mail wrote it (case and spacing may differ), else ``folded`` itself.
    A word is looked for as a whole word first ("remove", not the start of "removed")."""
    loose = r"\s*".join(re.escape(part) for part in folded.split())
    if not loose:
        return folded
    patterns = [rf"(?<![^\W\d_]){loose}(?![^\W\d_])", loose] if _WORD_RE.fullmatch(folded) else [loose]
    for pattern in patterns:
        m = re.search(pattern, original, re.IGNORECASE)
        if m:
            return m.group(0)
    return folded


def explain_terms(contrib: list[tuple[str, float]], folded: str, original: str) -> list[tuple[str, float]]:
    """Up to ``TOP_TERMS`` (term as written, weight) from (feature, positive contribution):
    ``folded`` is the text the features were read from, ``original`` the same text unfolded."""
    summed: dict[str, float] = {}
    for tok, weight in contrib:
        text = _display(tok)
        summed[text] = summed.get(text, 0.0) + weight
    best: dict[str, float] = {}
    for text, weight in _merge_cjk(list(summed.items()), folded):
        best[text] = best.get(text, 0.0) + weight
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TERMS]
    return [(as_written(text, original), round(weight, 4)) for text, weight in ranked]


# ---------------------------------------------------------------------------------------------
# Training (scikit-learn, imported only here)


def _sklearn(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise RuntimeError(f"training needs scikit-learn: pip install '{TRAIN_EXTRA}' "
                           "(or pip install scikit-learn)") from exc


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def fit_tokens(token_lists: Sequence[list[str]], labels: Sequence[str], *, seed: int = 0, c: float = DEFAULT_C,
               max_features: int = DEFAULT_MAX_FEATURES, min_df: int = DEFAULT_MIN_DF,
               meta: dict[str, Any] | None = None) -> TextModel:
    """Fit TF-IDF + multinomial logistic regression on featurized messages; export to a TextModel."""
    text = _sklearn("sklearn.feature_extraction.text")
    linear = _sklearn("sklearn.linear_model")
    classes = [c_ for c_ in CLASSES if c_ in set(labels)]
    if len(classes) < 2:
        raise ValueError(f"training needs at least two of the classes {CLASSES}, got {sorted(set(labels))}")
    vec = text.TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=min_df, max_features=max_features,
                               norm="l2", smooth_idf=True, lowercase=False)
    x = vec.fit_transform(list(token_lists))
    clf = linear.LogisticRegression(C=c, class_weight="balanced", max_iter=5000, tol=1e-6, random_state=seed)
    clf.fit(x, list(labels))
    order = [list(clf.classes_).index(c_) for c_ in classes]
    coef = clf.coef_[order] if len(classes) > 2 else _binary(clf.coef_, clf.classes_, classes)
    intercept = clf.intercept_[order] if len(classes) > 2 else _binary(clf.intercept_, clf.classes_, classes)
    coef = coef - coef.mean(axis=0)
    intercept = intercept - intercept.mean()
    names = vec.get_feature_names_out()
    idf = vec.idf_
    terms = {str(t): (round(float(idf[j]), ROUND), *(round(float(coef[k, j]), ROUND) for k in range(len(classes))))
             for j, t in enumerate(names)}
    info = {"c": c, "max_features": max_features, "min_df": min_df, "seed": seed, "n_terms": len(terms),
            "max_subject": MAX_SUBJECT, "max_body": MAX_BODY}
    return TextModel(classes, [round(float(v), ROUND) for v in intercept], terms, {**info, **(meta or {})})


def _binary(values: Any, sk_classes: Any, classes: list[str]) -> Any:
    """A two-class fit has one weight row (for sk_classes[1]); spread it to -w/2, +w/2."""
    np = importlib.import_module("numpy")
    row = np.atleast_2d(values)
    plus = list(sk_classes).index(classes[1])
    sign = 1.0 if plus == 1 else -1.0
    out = np.vstack([-row * sign / 2, row * sign / 2])
    return out if out.ndim == 2 and out.shape[1] > 1 else out.ravel()


def train(paths_and_labels: Iterable[tuple[Path, str]], *, seed: int = 0, c: float = DEFAULT_C,
          max_features: int = DEFAULT_MAX_FEATURES, min_df: int = DEFAULT_MIN_DF,
          meta: dict[str, Any] | None = None) -> TextModel:
    """Train a model on raw mail files, each with its label (``phishing``, ``spam`` or ``ham``)."""
    tokens: list[list[str]] = []
    labels: list[str] = []
    for path, label in paths_and_labels:
        if label not in CLASSES:
            raise ValueError(f"{path}: label {label!r} is not one of {CLASSES}")
        msg = message_text(Path(path).read_bytes())
        tokens.append(featurize(*msg))
        labels.append(label)
    return fit_tokens(tokens, labels, seed=seed, c=c, max_features=max_features, min_df=min_df, meta=meta)


def read_labels(folder: Path, labels_csv: Path) -> list[tuple[Path, str]]:
    """(file, label) rows of a ``path,label[,...]`` CSV, paths relative to ``folder``; rows whose
    label is not a known class are skipped, missing files are an error."""
    rows: list[tuple[Path, str]] = []
    with Path(labels_csv).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            label = (row.get("label") or "").strip().lower()
            if label not in CLASSES:
                continue
            path = Path(folder) / (row.get("path") or "").strip()
            if not path.is_file():
                raise FileNotFoundError(f"{labels_csv}: {path} does not exist")
            rows.append((path, label))
    return rows


def train_from_labels(folder: Path, labels_csv: Path, out: Path, seed: int = 0) -> dict[str, Any]:
    """Train on the mails listed in ``labels_csv`` (columns ``path,label``; paths relative to
    ``folder``), save the model to ``out`` and return a summary (counts per class, terms, size).

    This is what ``mailsleuth train --labels labels.csv FOLDER -o model.json`` runs."""
    rows = read_labels(folder, labels_csv)
    counts = Counter(label for _, label in rows)
    model = train(rows, seed=seed, meta={"trained_on": {k: counts[k] for k in CLASSES if counts[k]}})
    model.save(out)
    return {"messages": len(rows), "per_class": dict(sorted(counts.items())), "terms": len(model.terms),
            "classes": list(model.classes), "out": str(out), "bytes": Path(out).stat().st_size}
