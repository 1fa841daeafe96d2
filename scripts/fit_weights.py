"""Fit the check weights on the labelled corpus by logistic regression, and propose them for review.

    python scripts/fit_weights.py [--eval out/eval.json | --corpus ../shared/corpus] [--jobs 2]
                                  [--out proposed_scores.toml] [--include-noncommercial] [--c 1.0]

1. Reads an evaluation (``mailsleuth eval --out DIR`` writes ``DIR/eval.json``) or runs one.
2. Builds one feature per check and composite: the finding's confidence (points / weight) when it
   fired, else 0.
3. Fits two L2-regularised logistic regressions (numpy, Newton's method; no other dependency):
   *phishing vs rest* and *flagged (phishing + spam) vs ham*. Messages from ``phishing_pot``
   (CC BY-NC 4.0) are never trained on unless ``--include-noncommercial`` is given; they are
   only measured, as held-out mail.
4. Rescales the coefficients to points so that the thresholds of ``scores.toml`` keep their
   meaning: each model flags where its linear score (logit) passes a cut, set on the training
   negatives at a target false-positive rate (``--target-fpr``, 0.5 % of ham for flagged;
   ``--target-fpr-phishing``, 0.2 % of spam + ham for phishing), and the scale is chosen so that
   this cut lands on the model's threshold (``thresholds.spam`` resp. ``thresholds.phishing``).
   Checks of kind "phishing" (and phishing composites) take the phishing-vs-rest model, the others
   the flagged-vs-ham model (``--model`` picks one model for all instead). Negative weights are
   clipped to 0, weights above the phishing threshold capped, checks that never fired in the
   training set keep their weight.
5. Prints current weight, both coefficients, the proposed weight and flags for review, writes the
   proposal as a scores override file (``[checks.ID] weight = x``, read by ``load_scores`` and
   ``--scores``), and re-evaluates the corpus with it next to the current weights.

The proposal is for a human to review: this script never writes ``src/mailsleuth/data/scores.toml``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from mailsleuth.evaluate import LABELS, CheckInfo, EvalResult, MessageResult, Metrics, evaluate

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DATA = ROOT / "src" / "mailsleuth" / "data"
NONCOMMERCIAL = frozenset({"phishing_pot"})  # sources under CC BY-NC: measure, do not train on
MIN_SUPPORT = 20  # fewer training messages than this with the check fired: the fit is weak

Array = npt.NDArray[np.float64]


# --------------------------------------------------------------------------- the model


def fit_logistic(x: Array, y: Array, l2: float, *, max_iter: int = 100, tol: float = 1e-9) -> tuple[float, Array]:
    """L2-regularised logistic regression by Newton's method (the intercept is not penalised).
    Deterministic: same data, same coefficients."""
    n, d = x.shape
    xb = np.hstack([np.ones((n, 1)), x])
    w = np.zeros(d + 1)
    pen = np.full(d + 1, l2)
    pen[0] = 0.0
    for _ in range(max_iter):
        p = _sigmoid(xb @ w)
        grad = xb.T @ (p - y) + pen * w
        hess = (xb.T * (p * (1 - p))) @ xb + np.diag(pen + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.max(np.abs(step))) < tol:
            break
    return float(w[0]), w[1:]


def _sigmoid(z: Array) -> Array:
    out: Array = np.where(z >= 0, 1 / (1 + np.exp(-np.clip(z, -500, 500))),
                          np.exp(np.clip(z, -500, 500)) / (1 + np.exp(np.clip(z, -500, 500))))
    return out


@dataclass(frozen=True, slots=True)
class Fit:
    name: str  # "phishing" | "flagged"
    threshold: float  # the scores.toml threshold the cut is put on
    intercept: float
    coef: dict[str, float]
    cut: float  # logit at which the model flags: where its rate on training negatives is the target FPR

    @property
    def scale(self) -> float:
        """Points per unit of logit: the cut (sum of coefficient x feature = cut - intercept) lands on
        the threshold."""
        if self.cut - self.intercept <= 0:
            raise SystemExit(f"the {self.name} model flags mail with no check fired (intercept {self.intercept:.3f} "
                             f">= cut {self.cut:.3f}): no positive points scale puts that on a threshold")
        return self.threshold / (self.cut - self.intercept)

    def points(self, cid: str) -> float:
        return self.coef[cid] * self.scale


def fpr_cut(neg_logits: Array, target: float) -> float:
    """The lowest logit cut at which at most ``target`` of the negatives are at or above it."""
    if len(neg_logits) == 0:
        return 0.0
    desc = np.sort(neg_logits)[::-1]
    allowed = math.floor(target * len(desc))
    if allowed >= len(desc):
        return float(desc[-1])
    return float(desc[allowed]) + 1e-9


def features(messages: list[MessageResult], ids: list[str]) -> Array:
    col = {cid: j for j, cid in enumerate(ids)}
    x = np.zeros((len(messages), len(ids)))
    for i, m in enumerate(messages):
        for f in m.findings:
            j = col.get(f.id)
            if j is not None:
                x[i, j] = min(max(f.confidence, 0.0), 1.0)
    return x


def cross_validate(x: Array, y: Array, l2: float, target_fpr: float, folds: int,
                   seed: int) -> tuple[int, int, int, int]:
    """Out-of-fold (true pos, positives, false pos, negatives), stratified folds; in each fold the cut
    is set on the training part's negatives at ``target_fpr``, as for the proposal."""
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(y), dtype=int)
    for cls in (0.0, 1.0):
        idx = np.flatnonzero(y == cls)
        rng.shuffle(idx)
        fold[idx] = np.arange(len(idx)) % folds
    pred = np.zeros(len(y), dtype=bool)
    for k in range(folds):
        test = fold == k
        xt, yt = x[~test], y[~test]
        b0, w = fit_logistic(xt, yt, l2)
        cut = fpr_cut(xt[yt == 0] @ w + b0, target_fpr)
        pred[test] = (x[test] @ w + b0) >= cut
    pos = y == 1
    return int((pred & pos).sum()), int(pos.sum()), int((pred & ~pos).sum()), int((~pos).sum())


# --------------------------------------------------------------------------- the proposal


@dataclass(frozen=True, slots=True)
class Row:
    info: CheckInfo
    support: dict[str, int]  # label -> training messages it fired on
    coef_phishing: float
    coef_flagged: float
    fitted: float  # points from the model chosen for this check, before rounding and clipping
    proposed: float
    flags: tuple[str, ...]


def propose(infos: list[CheckInfo], train: list[MessageResult], fits: dict[str, Fit], *, model: str,
            allow_negative: bool, max_weight: float) -> list[Row]:
    rows = []
    for info in infos:
        support = {lab: sum(1 for m in train if m.label == lab and any(f.id == info.id for f in m.findings))
                   for lab in LABELS}
        which = model if model != "by-kind" else ("phishing" if info.kind == "phishing" else "flagged")
        fitted = fits[which].points(info.id)
        flags: list[str] = []
        n = sum(support.values())
        if n == 0:
            proposed = info.weight
            flags.append("no data: kept")
        else:
            proposed = fitted
            if fits["phishing"].coef[info.id] < 0 and info.kind == "phishing":
                flags.append("phishing kind, negative for phishing")
            if fitted < 0 and not allow_negative:
                proposed = 0.0
                flags.append("negative: clipped to 0")
            elif fitted < 0:
                flags.append("negative")
            if proposed > max_weight:
                proposed = max_weight
                flags.append(f"capped at {max_weight:g}")
            if n < MIN_SUPPORT:
                flags.append(f"rare (fired {n}x)")
            if support["ham"] == 0 and support["phishing"] + support["spam"] > 0:
                flags.append("never on ham: separable, size set by L2")
            if info.weight > 0 and proposed > 0 and max(proposed / info.weight, info.weight / proposed) >= 3:
                flags.append("changed 3x or more")
        rows.append(Row(info, support, fits["phishing"].coef[info.id], fits["flagged"].coef[info.id],
                        fitted, round(proposed, 1), tuple(flags)))
    return rows


def write_toml(path: Path, rows: list[Row], header: list[str]) -> None:
    resolved = path.resolve()
    if resolved == (PACKAGE_DATA / "scores.toml").resolve() or PACKAGE_DATA.resolve() in resolved.parents:
        raise SystemExit(f"refusing to write {path}: the shipped scores are changed by a person, not by this script")
    lines = [f"# {h}" if h else "#" for h in header]
    lines += ["# Try it: mailsleuth eval CORPUS --labels labels.csv --scores THIS_FILE, or",
              "# mailsleuth.scoring.load_scores(THIS_FILE) / evaluate(..., scores_path=THIS_FILE).", ""]
    for r in sorted(rows, key=lambda r: (r.info.composite, r.info.id)):
        section = "composites" if r.info.composite else "checks"
        sup = "/".join(str(r.support[lab]) for lab in LABELS)
        note = f"current {r.info.weight:g}, fitted {r.fitted:.2f}, support phishing/spam/ham {sup}"
        if r.flags:
            note += "; " + "; ".join(r.flags)
        lines += [f"[{section}.{r.info.id}]", f"# {note}", f"weight = {r.proposed:g}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


# --------------------------------------------------------------------------- reporting


def _pct(num: int, den: int) -> str:
    return "–" if not den else f"{100 * num / den:.1f} %"


def weights_table(rows: list[Row]) -> str:
    out = ["| check | kind | support ph/sp/ham | current | coef phishing | coef flagged | fitted pts | proposed "
           "| review flags |",
           "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in sorted(rows, key=lambda r: (-r.proposed, r.info.id)):
        name = f"{r.info.id} (composite)" if r.info.composite else r.info.id
        sup = "/".join(str(r.support[lab]) for lab in LABELS)
        out.append(f"| {name} | {r.info.kind} | {sup} | {r.info.weight:g} | {r.coef_phishing:+.2f} | "
                   f"{r.coef_flagged:+.2f} | {r.fitted:+.2f} | {r.proposed:g} | {'; '.join(r.flags)} |")
    return "\n".join(out)


def detection_table(current: EvalResult, proposed: EvalResult, trained_sources: set[str]) -> str:
    out = ["| scope | recall | recall (strict) | spam recall | FPR | FPR (strict) | precision |",
           "|---|---|---|---|---|---|---|"]
    prop = {x.scope: x for x in proposed.metrics()}

    def cell(a: Metrics, b: Metrics, attr: str) -> str:
        ra, rb = getattr(a, attr), getattr(b, attr)
        if not ra.den:
            return "–"
        return f"{ra.pct()} → **{rb.pct()}**" if ra.num != rb.num else f"{ra.pct()} (=)"

    for cur in current.metrics():
        new = prop[cur.scope]
        scope = cur.scope if cur.scope in trained_sources or cur.scope == "overall" else f"{cur.scope} (held out)"
        out.append(f"| {scope} | " + " | ".join(cell(cur, new, a) for a in (
            "recall", "recall_strict", "spam_recall", "fpr", "fpr_strict", "precision")) + " |")
    return "\n".join(out)


def verdict_table(current: EvalResult, proposed: EvalResult) -> str:
    out = ["| source | label | n | phishing | spam | suspicious | clean | error |",
           "|---|---|---:|---|---|---|---|---:|"]
    prop = {(v.source, v.label): v for v in proposed.verdict_counts()}
    for v in current.verdict_counts():
        p = prop[(v.source, v.label)]
        cells = [f"{v.counts[o]} → {p.counts[o]}" if v.counts[o] != p.counts[o] else str(v.counts[o])
                 for o in ("phishing", "spam", "suspicious", "clean")]
        out.append(f"| {v.source} | {v.label} | {v.n} | " + " | ".join(cells) + f" | {p.counts['error']} |")
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--eval", type=Path, help="an eval.json from `mailsleuth eval --out DIR` (default: run one)")
    ap.add_argument("--corpus", type=Path, default=None,
                    help="corpus folder with labels.csv (default: the one named in --eval, else ../shared/corpus)")
    ap.add_argument("--labels", type=Path, default=None, help="labels file (default: CORPUS/labels.csv)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("proposed_scores.toml"), help="proposal (scores override file)")
    ap.add_argument("--include-noncommercial", action="store_true",
                    help="also train on phishing_pot (CC BY-NC 4.0); by default it is held out and only measured")
    ap.add_argument("--model", choices=("by-kind", "flagged", "phishing"), default="by-kind",
                    help="which fit gives the weights: by-kind (default: phishing-vs-rest for kind phishing, "
                         "flagged-vs-ham for the rest), or one model for all")
    ap.add_argument("--c", type=float, default=1.0, help="inverse L2 strength (default 1.0)")
    ap.add_argument("--target-fpr", type=float, default=0.005,
                    help="share of training ham the flagged model may flag at thresholds.spam (default 0.005)")
    ap.add_argument("--target-fpr-phishing", type=float, default=0.002,
                    help="share of training spam+ham the phishing model may call phishing at thresholds.phishing "
                         "(default 0.002)")
    ap.add_argument("--seed", type=int, default=20240601, help="seed of the cross-validation folds")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--allow-negative", action="store_true", help="keep negative weights instead of clipping to 0")
    ap.add_argument("--max-weight", type=float, default=None,
                    help="cap on one check's weight (default: the phishing threshold)")
    ap.add_argument("--no-reevaluate", action="store_true", help="skip the corpus run with the proposed weights")
    args = ap.parse_args(argv)

    if args.eval:
        current = EvalResult.from_json(json.loads(args.eval.read_text(encoding="utf-8")))
        if current.scores_path:
            print(f"note: {args.eval} was run with --scores {current.scores_path}; 'current' means those weights")
        corpus = args.corpus or Path(current.folder)
        labels = args.labels or (Path(current.labels_csv) if not args.corpus else corpus / "labels.csv")
    else:
        corpus = args.corpus or ROOT.parent / "shared" / "corpus"
        labels = args.labels or corpus / "labels.csv"
        print(f"evaluating {corpus} with the current weights ({args.jobs} jobs) ...", file=sys.stderr)
        current = evaluate(corpus, labels, jobs=args.jobs)

    infos = sorted(current.checks.values(), key=lambda c: c.id)
    ids = [c.id for c in infos]
    usable = [m for m in current.messages if m.verdict != "error" and m.label in LABELS]
    excluded = set() if args.include_noncommercial else set(NONCOMMERCIAL)
    train = [m for m in usable if m.source not in excluded]
    held = [m for m in usable if m.source in excluded]
    trained_sources = {m.source for m in train}
    x = features(train, ids)
    l2 = 1.0 / args.c
    t = current.thresholds
    fits: dict[str, Fit] = {}
    cv: dict[str, tuple[int, int, int, int]] = {}
    for name, positive, threshold in (("phishing", {"phishing"}, t["phishing"]),
                                      ("flagged", {"phishing", "spam"}, t["spam"])):
        y = np.array([1.0 if m.label in positive else 0.0 for m in train])
        b0, w = fit_logistic(x, y, l2)
        target = args.target_fpr if name == "flagged" else args.target_fpr_phishing
        cut = fpr_cut(x[y == 0] @ w + b0, target)
        fits[name] = Fit(name, threshold, b0, {cid: float(c) for cid, c in zip(ids, w, strict=True)}, cut)
        cv[name] = cross_validate(x, y, l2, target, args.folds, args.seed)
    max_weight = args.max_weight if args.max_weight is not None else t["phishing"]
    rows = propose(infos, train, fits, model=args.model, allow_negative=args.allow_negative, max_weight=max_weight)

    n_by = {lab: sum(1 for m in train if m.label == lab) for lab in LABELS}
    counts = ", ".join(f"{n_by[k]} {k}" for k in LABELS)
    print(f"# Fitted check weights\n\nTraining set: {len(train)} messages ({counts}) "
          f"from {', '.join(sorted(trained_sources))}; "
          + (f"held out (CC BY-NC, measured only): {len(held)} from {', '.join(sorted(excluded))}. "
             if excluded else "phishing_pot INCLUDED (--include-noncommercial). ")
          + f"L2 C={args.c:g}, {args.folds}-fold CV seed {args.seed}, weights from: {args.model}.\n")
    for name, fit in fits.items():
        tp, pos, fp, neg = cv[name]
        print(f"- {name} model: intercept {fit.intercept:+.3f}, cut at logit {fit.cut:+.3f} "
              f"(p = {1 / (1 + math.exp(-fit.cut)):.3f}), {fit.scale:.3f} points per logit unit (cut on threshold "
              f"{fit.threshold:g}); {args.folds}-fold CV at that rule: recall {_pct(tp, pos)} ({tp}/{pos}), "
              f"FPR {_pct(fp, neg)} ({fp}/{neg})")
    if held:
        xh = features(held, ids)
        for name, fit in fits.items():
            wv = np.array([fit.coef[c] for c in ids])
            hit = int(((xh @ wv + fit.intercept) >= fit.cut).sum())
            print(f"- {name} model on the held-out {len(held)} phishing_pot messages (all labelled phishing): "
                  f"{_pct(hit, len(held))} ({hit}) over its cut")
    print("\n## Weights: current vs fitted\n")
    print("support = training messages the check fired on, per label. coef = logistic coefficient (per unit of "
          "confidence); fitted pts = coefficient x points-per-logit of the model used for that check; proposed = "
          "rounded, clipped and capped.\n")
    print(weights_table(rows))

    header = [
        "Proposed check weights fitted by scripts/fit_weights.py - FOR REVIEW, not loaded by default.",
        f"Training set: {len(train)} messages from {', '.join(sorted(trained_sources))}"
        + ("" if not excluded else f" (not {', '.join(sorted(excluded))}: CC BY-NC, measured only)") + ".",
        f"Logistic regression, L2 C={args.c:g}, weights from model '{args.model}'; cuts at target FPR "
        f"{args.target_fpr:g} (flagged) / {args.target_fpr_phishing:g} (phishing) put on thresholds "
        f"spam={t['spam']:g} / phishing={t['phishing']:g}; thresholds, caps and kinds unchanged.",
    ]
    write_toml(args.out, rows, header)
    print(f"\nwrote {args.out}")

    if args.no_reevaluate:
        return 0
    if not labels.exists():
        print(f"cannot re-evaluate: {labels} not found", file=sys.stderr)
        return 1
    print(f"\nre-evaluating {corpus} with {args.out} ...", file=sys.stderr)
    proposed = evaluate(corpus, labels, jobs=args.jobs, scores_path=args.out, limit=current.limit)
    if [m.path for m in proposed.messages] == [m.path for m in current.messages]:
        base = current
    else:  # the eval.json is of other rows: measure the current weights on these
        base = evaluate(corpus, labels, jobs=args.jobs, limit=current.limit,
                        scores_path=Path(current.scores_path) if current.scores_path else None)
    print("\n## Detection: current → proposed (same data)\n")
    print("Sources marked held out were not trained on. Trained sources are in-sample: expect them to look better "
          "than they will on new mail (the CV line above is the out-of-sample estimate of the bare model).\n")
    print(detection_table(base, proposed, trained_sources))
    print("\n### Verdicts: current → proposed\n")
    print(verdict_table(base, proposed))
    fa_cur, fa_new = len(base.false_alarms()), len(proposed.false_alarms())
    print(f"\nFalse alarms on ham: {fa_cur} → {fa_new}; missed phishing/spam: {len(base.missed())} → "
          f"{len(proposed.missed())}.")
    if not math.isfinite(sum(r.proposed for r in rows)):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
