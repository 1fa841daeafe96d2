"""Train the text model shipped in ``src/mailsleuth/data/model/text_model.json`` and measure it.

    python scripts/train_classifier.py [--corpus DIR] [--out FILE] [--folds 5] [--seed 0] [--limit N]

Training data: only the redistributable sources of the corpus (SpamAssassin public corpus,
the Japanese mailing-list archives, sisimai's bounces) and the repository's ``examples/``.
``phishing_pot`` (CC BY-NC) is never trained on: it is only predicted, at the end, to show how
the model does on phishing it has not seen.

Prints, in Markdown: grouped stratified k-fold cross-validation on the training data (per
source and label: share of each predicted class, and how often each check would fire), the
phishing_pot measurement, and the inference cost per message. The same seed gives a
byte-identical model file. Needs scikit-learn (``pip install -e '.[train]'``).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import re
import sys
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mailsleuth import classifier  # noqa: E402
from mailsleuth.checks.model import PHISHING_THRESHOLD, SPAM_THRESHOLD  # noqa: E402
from mailsleuth.normalize import fold  # noqa: E402

TRAIN_SOURCES = ("ja_mailing_list_archives", "sisimai_set_of_emails", "spamassassin_public_corpus")
EVAL_SOURCES = ("phishing_pot",)  # measured only: CC BY-NC, must not be in the shipped model
EXAMPLES = {"ekinet-account-deleted.eml": "phishing", "amazon-lookalike.eml": "phishing",
            "colleague-clean.eml": "ham"}
DEFAULT_OUT = ROOT / "src" / "mailsleuth" / "data" / "model" / "text_model.json"
_REPLY_RE = re.compile(r"^(?:(?:re|fwd?|aw|sv)\s*[:：]\s*)+")
_DIGITS_RE = re.compile(r"[\d\s]+")


@dataclass(frozen=True, slots=True)
class Sample:
    path: str
    label: str
    source: str
    text: classifier.MessageText
    tokens: list[str]


def load_rows(corpus: Path, sources: Sequence[str], limit: int) -> list[dict[str, str]]:
    """labels.csv rows of ``sources``; with ``limit``, the first limit/3 of each label (file order)."""
    with (corpus / "labels.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["source"] in sources and r["label"] in classifier.CLASSES]
    if not limit:
        return rows
    per_label = max(1, limit // len(classifier.CLASSES))
    taken: Counter[str] = Counter()
    out = []
    for r in rows:
        if taken[r["label"]] < per_label:
            taken[r["label"]] += 1
            out.append(r)
    return out


def read_samples(corpus: Path, rows: list[dict[str, str]], with_examples: bool) -> list[Sample]:
    items = [(corpus / r["path"], r["path"], r["label"], r["source"]) for r in rows]
    if with_examples:
        items += [(ROOT / "examples" / name, f"examples/{name}", label, "examples")
                  for name, label in sorted(EXAMPLES.items())]
    out = []
    for file, name, label, source in items:
        text = classifier.message_text(file.read_bytes())
        out.append(Sample(name, label, source, text, classifier.featurize(*text)))
    return out


def group_key(s: Sample) -> str:
    """Near-duplicates (one campaign sent to several lists, one thread) share a key and a fold."""
    subject = _REPLY_RE.sub("", fold(s.text.subject))
    return _DIGITS_RE.sub("", subject + "|" + fold(s.text.body[:200]))


def cross_validate(samples: list[Sample], folds: int, seed: int, fit: Callable[[list[Sample]], Any]) -> list[Any]:
    """Out-of-fold predictions, one per sample (grouped and stratified by source/label)."""
    ms = importlib.import_module("sklearn.model_selection")
    strata = [f"{s.source}|{s.label}" for s in samples]
    groups = [group_key(s) for s in samples]
    splitter = ms.StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    preds: list[Any] = [None] * len(samples)
    for train_idx, test_idx in splitter.split(samples, strata, groups):
        model = fit([samples[i] for i in train_idx])
        for i in test_idx:
            preds[i] = model.predict(*samples[i].text)
    return preds


def table(samples: list[Sample], preds: list[Any], title: str) -> list[str]:
    """Markdown: per source/label, the share of each predicted class and of each check firing."""
    by: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for s, p in zip(samples, preds, strict=True):
        by[(s.source, s.label)].append(p)
    lines = [f"### {title}", "",
             "| source | label | n | → phishing | → spam | → ham | TEXT_MODEL_PHISHING fires | TEXT_MODEL_SPAM fires |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for (source, label), ps in sorted(by.items()):
        n = len(ps)
        share = Counter(p.label for p in ps)
        fire_p = sum(p.probs["phishing"] >= PHISHING_THRESHOLD for p in ps)
        fire_s = sum(p.probs.get("spam", 0.0) >= SPAM_THRESHOLD and p.label == "spam" for p in ps)
        cells = [f"{100 * share[c] / n:.1f}%" for c in classifier.CLASSES]
        lines.append(f"| {source} | {label} | {n} | {' | '.join(cells)} | {100 * fire_p / n:.1f}% | "
                     f"{100 * fire_s / n:.1f}% |")
    return [*lines, ""]


def timing(model: classifier.TextModel, samples: list[Sample], repeat: int = 3) -> float:
    """Best mean milliseconds per message of featurize + predict (text already extracted)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for s in samples:
            model.predict(*s.text)
        best = min(best, (time.perf_counter() - start) / max(1, len(samples)))
    return best * 1000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--folds", type=int, default=5, help="cross-validation folds (0: none)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=0, help="a tiny fixed subset: N training files (0: all)")
    ap.add_argument("--c", type=float, default=classifier.DEFAULT_C)
    ap.add_argument("--max-features", type=int, default=classifier.DEFAULT_MAX_FEATURES)
    args = ap.parse_args(argv)
    # Strata smaller than the number of folds (the three examples, a tiny --limit) are expected.
    warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
    threadpoolctl = importlib.import_module("threadpoolctl")
    with threadpoolctl.threadpool_limits(1):  # one BLAS thread: the same sums in the same order
        return run(args)


def run(args: argparse.Namespace) -> int:
    sklearn = importlib.import_module("sklearn")
    start = time.perf_counter()
    train_set = read_samples(args.corpus, load_rows(args.corpus, TRAIN_SOURCES, args.limit), not args.limit)
    pot = read_samples(args.corpus, load_rows(args.corpus, EVAL_SOURCES, args.limit), False)
    print(f"read {len(train_set)} training and {len(pot)} evaluation messages in "
          f"{time.perf_counter() - start:.1f} s", file=sys.stderr)
    counts = Counter(f"{s.source}/{s.label}" for s in train_set)
    meta = {"training_data": dict(sorted(counts.items())), "sklearn": sklearn.__version__}

    def fit(samples: list[Sample], extra: dict[str, Any] | None = None) -> classifier.TextModel:
        return classifier.fit_tokens([s.tokens for s in samples], [s.label for s in samples], seed=args.seed,
                                     c=args.c, max_features=args.max_features, meta=extra)

    out: list[str] = [f"## Text model: {len(train_set)} training messages, seed {args.seed}", ""]
    if args.folds > 1:
        preds = cross_validate(train_set, args.folds, args.seed, fit)
        out += table(train_set, preds, f"Cross-validation ({args.folds} folds, grouped by near-duplicate)")
    model = fit(train_set, meta)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    if pot:
        out += table(pot, [model.predict(*s.text) for s in pot], "phishing_pot (never trained on)")
    ms = timing(model, train_set + pot)
    out += [f"model: {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, {len(model.terms)} terms); "
            f"featurize + predict: {ms:.3f} ms per message over {len(train_set) + len(pot)} messages"]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
