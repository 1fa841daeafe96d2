"""Measure mailsleuth on a labelled corpus: ``mailsleuth eval FOLDER --labels labels.csv``.

The labels file is CSV with the columns ``path,label,source,brand``: ``path`` relative to the
folder, ``label`` one of ``phishing`` / ``spam`` / ``ham``, ``source`` where the message comes
from (every table is broken down by it), ``brand`` the impersonated brand as free text (may be
empty). Every row is analysed - in worker processes, in chunks - and every row gets a result:
a message that cannot be read or makes the analysis raise is recorded with the verdict
``"error"`` and the exception text, never dropped.

Definitions used in the tables (errors count as *not flagged*):

* flagged = the verdict is ``phishing`` or ``spam`` (``suspicious`` is a warning, not a catch);
* recall = labelled phishing -> flagged; strict recall = labelled phishing -> ``phishing``;
  spam recall = labelled spam -> flagged;
* false-positive rate = labelled ham -> flagged; strict FPR = labelled ham -> ``phishing``;
* precision = labelled phishing or spam among the flagged; strict precision = labelled
  phishing among those called ``phishing``;
* brand accuracy = the brand the report names (impersonated or sender) is the labelled brand,
  over rows whose brand label maps onto a brand id of :class:`~mailsleuth.brands.BrandIndex`
  (labels that map onto none are listed apart, not counted as misses).

:class:`EvalResult` keeps the per-message results and the run's facts; every table is computed
from them, so :meth:`EvalResult.from_json` of :meth:`EvalResult.to_json` gives the same tables.
"""

from __future__ import annotations

import csv
import math
import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from . import __version__
from .brands import BrandIndex
from .normalize import fold
from .scoring import Scores, check_groups, default_scores, load_scores

__all__ = [
    "BrandAccuracy",
    "BrandRow",
    "CheckInfo",
    "CheckStats",
    "EvalResult",
    "FindingHit",
    "LabelRow",
    "MessageResult",
    "Metrics",
    "Ratio",
    "Timing",
    "VerdictCounts",
    "evaluate",
    "load_labels",
    "map_brand_label",
]

Outcome = Literal["phishing", "spam", "suspicious", "clean", "error"]
OUTCOMES: tuple[Outcome, ...] = ("phishing", "spam", "suspicious", "clean", "error")
FLAGGED: frozenset[str] = frozenset({"phishing", "spam"})
LABELS = ("phishing", "spam", "ham")
FORMAT = "mailsleuth-eval/1"
MAX_INPUT = 64 * 1024 * 1024  # bytes read from one file, as ``mailsleuth analyze`` does
LIST_LIMIT = 12  # rows per (label, source) of each case list (missed, false alarms, errors) in the Markdown


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class FindingHit:
    """One finding of one message: its points (weight x confidence) and confidence."""

    id: str
    points: float
    confidence: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "points": self.points, "confidence": self.confidence}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> FindingHit:
        return cls(str(d["id"]), float(d["points"]), float(d.get("confidence", 1.0)))


@dataclass(frozen=True, slots=True)
class MessageResult:
    """What the analysis said about one labelled message."""

    path: str  # as written in the labels file (relative to the folder)
    label: str
    source: str
    brand_label: str  # free text from the labels file, "" when none
    brand_label_id: str | None  # that label mapped onto a brand id, None when it maps onto none
    verdict: Outcome
    score: float
    brand_id: str  # brand the report names, "" when none
    brand_name: str
    brand_role: str  # "impersonated" | "sender" | ""
    findings: tuple[FindingHit, ...]  # in the report's order (most points first)
    seconds: float  # reading + analysing, in the worker
    error: str = ""  # "ExceptionType: message" when verdict == "error"

    @property
    def flagged(self) -> bool:
        return self.verdict in FLAGGED

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path, "label": self.label, "source": self.source, "brand_label": self.brand_label,
            "brand_label_id": self.brand_label_id, "verdict": self.verdict, "score": self.score,
            "brand_id": self.brand_id, "brand_name": self.brand_name, "brand_role": self.brand_role,
            "findings": [f.to_json() for f in self.findings], "seconds": self.seconds, "error": self.error,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> MessageResult:
        verdict = str(d["verdict"])
        if verdict not in OUTCOMES:
            raise ValueError(f"unknown verdict {verdict!r} for {d.get('path')!r}")
        bid = d.get("brand_label_id")
        return cls(
            path=str(d["path"]), label=str(d["label"]), source=str(d["source"]),
            brand_label=str(d.get("brand_label", "")), brand_label_id=None if bid is None else str(bid),
            verdict=verdict, score=float(d["score"]), brand_id=str(d.get("brand_id", "")),
            brand_name=str(d.get("brand_name", "")), brand_role=str(d.get("brand_role", "")),
            findings=tuple(FindingHit.from_json(f) for f in d.get("findings", [])),
            seconds=float(d.get("seconds", 0.0)), error=str(d.get("error", "")),
        )

    def top(self, n: int = 3) -> tuple[FindingHit, ...]:
        return self.findings[:n]


@dataclass(frozen=True, slots=True)
class CheckInfo:
    """A check or composite as the scores in use define it."""

    id: str
    kind: str
    group: str
    weight: float
    composite: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "group": self.group, "weight": self.weight,
                "composite": self.composite}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CheckInfo:
        return cls(str(d["id"]), str(d["kind"]), str(d["group"]), float(d["weight"]), bool(d.get("composite")))


@dataclass(frozen=True, slots=True)
class Ratio:
    num: int
    den: int

    @property
    def value(self) -> float | None:
        return self.num / self.den if self.den else None

    def pct(self) -> str:
        v = self.value
        return "–" if v is None else f"{100 * v:.1f} %"

    def fmt(self) -> str:
        return "–" if not self.den else f"{self.pct()} ({self.num}/{self.den})"

    def to_json(self) -> dict[str, Any]:
        v = self.value
        return {"num": self.num, "den": self.den, "value": None if v is None else round(v, 6)}


@dataclass(frozen=True, slots=True)
class VerdictCounts:
    source: str
    label: str
    counts: dict[str, int]  # outcome -> messages

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "label": self.label, "n": self.n,
                **{o: self.counts.get(o, 0) for o in OUTCOMES}}


@dataclass(frozen=True, slots=True)
class Metrics:
    scope: str  # a source, or "overall"
    n_phishing: int
    n_spam: int
    n_ham: int
    recall: Ratio  # phishing -> flagged
    recall_strict: Ratio  # phishing -> phishing
    spam_recall: Ratio  # spam -> flagged
    fpr: Ratio  # ham -> flagged
    fpr_strict: Ratio  # ham -> phishing
    precision: Ratio  # flagged -> labelled phishing or spam
    precision_strict: Ratio  # called phishing -> labelled phishing

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope, "n_phishing": self.n_phishing, "n_spam": self.n_spam, "n_ham": self.n_ham,
            "recall": self.recall.to_json(), "recall_strict": self.recall_strict.to_json(),
            "spam_recall": self.spam_recall.to_json(), "fpr": self.fpr.to_json(),
            "fpr_strict": self.fpr_strict.to_json(), "precision": self.precision.to_json(),
            "precision_strict": self.precision_strict.to_json(),
        }


@dataclass(frozen=True, slots=True)
class BrandRow:
    brand_label: str
    brand_id: str
    n: int
    correct: int
    other: int  # another brand named
    none: int  # no brand named
    error: int
    confusions: tuple[tuple[str, int], ...]  # brand ids named instead, most frequent first

    def to_json(self) -> dict[str, Any]:
        return {"brand_label": self.brand_label, "brand_id": self.brand_id, "n": self.n, "correct": self.correct,
                "other": self.other, "none": self.none, "error": self.error,
                "confusions": [{"brand_id": b, "n": n} for b, n in self.confusions]}


@dataclass(frozen=True, slots=True)
class BrandAccuracy:
    rows: tuple[BrandRow, ...]
    overall: Ratio  # correct / rows with a mapped brand label
    when_flagged: Ratio  # the same over the rows that were flagged
    unmapped: tuple[tuple[str, int], ...]  # brand labels that map onto no brand id, with their counts

    def to_json(self) -> dict[str, Any]:
        return {"overall": self.overall.to_json(), "when_flagged": self.when_flagged.to_json(),
                "by_brand": [r.to_json() for r in self.rows],
                "unmapped": [{"brand_label": b, "n": n} for b, n in self.unmapped]}


@dataclass(frozen=True, slots=True)
class CheckStats:
    info: CheckInfo
    fires: dict[str, int]  # label -> messages it fired on
    totals: dict[str, int]  # label -> messages with that label (errors included)
    mean_points: float | None  # over all messages it fired on
    points_on_positive: float  # sum of points on messages labelled phishing or spam
    in_catches: int  # labelled phishing/spam, flagged, and this check fired
    in_false_alarms: int  # labelled ham, flagged, and this check fired

    def share(self, label: str) -> Ratio:
        return Ratio(self.fires.get(label, 0), self.totals.get(label, 0))

    @property
    def n(self) -> int:
        return sum(self.fires.values())

    def to_json(self) -> dict[str, Any]:
        return {
            **self.info.to_json(), "n": self.n,
            "fires": {lab: self.share(lab).to_json() for lab in LABELS},
            "mean_points": None if self.mean_points is None else round(self.mean_points, 4),
            "points_on_positive": round(self.points_on_positive, 4),
            "in_catches": self.in_catches, "in_false_alarms": self.in_false_alarms,
        }


@dataclass(frozen=True, slots=True)
class Timing:
    n: int
    jobs: int
    wall_seconds: float
    mean: float
    p50: float
    p99: float
    max: float

    @property
    def per_second(self) -> float:
        return self.n / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "jobs": self.jobs, "wall_seconds": round(self.wall_seconds, 4),
                "mean_ms": round(1000 * self.mean, 3), "p50_ms": round(1000 * self.p50, 3),
                "p99_ms": round(1000 * self.p99, 3), "max_ms": round(1000 * self.max, 3),
                "messages_per_second": round(self.per_second, 2)}


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    k = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[min(k, len(sorted_values)) - 1]


# --------------------------------------------------------------------------- the result


@dataclass(slots=True)
class EvalResult:
    """Per-message results of one evaluation run, and every table computed from them."""

    messages: list[MessageResult]
    checks: dict[str, CheckInfo]  # every check and composite of the scores in use
    thresholds: dict[str, float]
    jobs: int
    wall_seconds: float
    folder: str = ""
    labels_csv: str = ""
    scores_path: str | None = None
    limit: int | None = None
    version: str = __version__

    # ------------------------------------------------------------- basic views
    @property
    def sources(self) -> list[str]:
        return sorted({m.source for m in self.messages})

    @property
    def errors(self) -> list[MessageResult]:
        return [m for m in self.messages if m.verdict == "error"]

    def verdict_counts(self) -> list[VerdictCounts]:
        """Per (source, label): how many messages got each verdict."""
        table: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for m in self.messages:
            table[(m.source, m.label)][m.verdict] += 1
        return [VerdictCounts(s, lab, {o: c.get(o, 0) for o in OUTCOMES}) for (s, lab), c in sorted(table.items())]

    def metrics(self) -> list[Metrics]:
        """One row per source (sorted), then ``overall``."""
        out = [_metrics(s, [m for m in self.messages if m.source == s]) for s in self.sources]
        out.append(_metrics("overall", self.messages))
        return out

    def missed(self) -> list[MessageResult]:
        """Labelled phishing or spam that was not flagged (suspicious, clean or error)."""
        return sorted((m for m in self.messages if m.label in ("phishing", "spam") and not m.flagged),
                      key=lambda m: (m.label, m.source, -m.score, m.path))

    def false_alarms(self) -> list[MessageResult]:
        """Labelled ham that was flagged (phishing or spam), the worst first."""
        return sorted((m for m in self.messages if m.label == "ham" and m.flagged),
                      key=lambda m: (m.verdict != "phishing", -m.score, m.source, m.path))

    def brand_accuracy(self) -> BrandAccuracy:
        mapped: dict[tuple[str, str], list[MessageResult]] = defaultdict(list)
        unmapped: Counter[str] = Counter()
        for m in self.messages:
            if not m.brand_label:
                continue
            if m.brand_label_id is None:
                unmapped[m.brand_label] += 1
            else:
                mapped[(m.brand_label, m.brand_label_id)].append(m)
        rows = []
        for (lab, bid), ms in mapped.items():
            correct = sum(1 for m in ms if m.verdict != "error" and m.brand_id == bid)
            none = sum(1 for m in ms if m.verdict != "error" and not m.brand_id)
            err = sum(1 for m in ms if m.verdict == "error")
            conf = Counter(m.brand_id for m in ms if m.verdict != "error" and m.brand_id and m.brand_id != bid)
            rows.append(BrandRow(lab, bid, len(ms), correct, len(ms) - correct - none - err, none, err,
                                 tuple(sorted(conf.items(), key=lambda kv: (-kv[1], kv[0])))))
        rows.sort(key=lambda r: (-r.n, r.brand_label))
        all_ms = [m for ms in mapped.values() for m in ms]
        flagged = [m for m in all_ms if m.flagged]
        return BrandAccuracy(
            rows=tuple(rows),
            overall=Ratio(sum(r.correct for r in rows), sum(r.n for r in rows)),
            when_flagged=Ratio(sum(1 for m in flagged if m.brand_id == m.brand_label_id), len(flagged)),
            unmapped=tuple(sorted(unmapped.items(), key=lambda kv: (-kv[1], kv[0]))),
        )

    def check_stats(self) -> list[CheckStats]:
        """Every check and composite (also those that never fired), the most points on
        labelled phishing/spam first."""
        totals = Counter(m.label for m in self.messages)
        fires: dict[str, Counter[str]] = defaultdict(Counter)
        points: dict[str, list[float]] = defaultdict(list)
        pos_points: dict[str, float] = defaultdict(float)
        catches: Counter[str] = Counter()
        alarms: Counter[str] = Counter()
        for m in self.messages:
            for f in m.findings:
                fires[f.id][m.label] += 1
                points[f.id].append(f.points)
                if m.label in ("phishing", "spam"):
                    pos_points[f.id] += f.points
                    if m.flagged:
                        catches[f.id] += 1
                elif m.label == "ham" and m.flagged:
                    alarms[f.id] += 1
        infos = dict(self.checks)
        for cid in fires:
            infos.setdefault(cid, CheckInfo(cid, "info", "?", 0.0))
        out = [
            CheckStats(info=info, fires=dict(fires.get(cid, {})), totals=dict(totals),
                       mean_points=sum(points[cid]) / len(points[cid]) if points.get(cid) else None,
                       points_on_positive=float(pos_points.get(cid, 0.0)),
                       in_catches=catches.get(cid, 0), in_false_alarms=alarms.get(cid, 0))
            for cid, info in infos.items()
        ]
        out.sort(key=lambda c: (-round(c.points_on_positive, 6), -c.n, c.info.id))
        return out

    def timing(self) -> Timing:
        secs = sorted(m.seconds for m in self.messages)
        n = len(secs)
        return Timing(n=n, jobs=self.jobs, wall_seconds=self.wall_seconds,
                      mean=sum(secs) / n if n else 0.0, p50=_percentile(secs, 0.5), p99=_percentile(secs, 0.99),
                      max=secs[-1] if secs else 0.0)

    # ------------------------------------------------------------- output
    def to_json(self) -> dict[str, Any]:
        """Everything: the run, the tables, the case lists and every message (deterministic order)."""
        return {
            "format": FORMAT,
            "run": {"mailsleuth_version": self.version, "folder": self.folder, "labels_csv": self.labels_csv,
                    "scores_path": self.scores_path, "limit": self.limit, "jobs": self.jobs,
                    "wall_seconds": self.wall_seconds, "n": len(self.messages)},
            "thresholds": dict(sorted(self.thresholds.items())),
            "checks": [c.to_json() for c in sorted(self.checks.values(), key=lambda c: c.id)],
            "verdicts": [v.to_json() for v in self.verdict_counts()],
            "metrics": [x.to_json() for x in self.metrics()],
            "brand_accuracy": self.brand_accuracy().to_json(),
            "per_check": [c.to_json() for c in self.check_stats()],
            "timing": self.timing().to_json(),
            "missed": [_case(m) for m in self.missed()],
            "false_alarms": [_case(m) for m in self.false_alarms()],
            "errors": [_case(m) for m in self.errors],
            "messages": [m.to_json() for m in self.messages],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> EvalResult:
        """Rebuild from :meth:`to_json` output (the tables are recomputed from the messages)."""
        if doc.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} document (format={doc.get('format')!r})")
        run = doc["run"]
        checks = [CheckInfo.from_json(c) for c in doc.get("checks", [])]
        limit = run.get("limit")
        sp = run.get("scores_path")
        return cls(
            messages=[MessageResult.from_json(m) for m in doc["messages"]],
            checks={c.id: c for c in checks},
            thresholds={str(k): float(v) for k, v in doc.get("thresholds", {}).items()},
            jobs=int(run.get("jobs", 1)), wall_seconds=float(run.get("wall_seconds", 0.0)),
            folder=str(run.get("folder", "")), labels_csv=str(run.get("labels_csv", "")),
            scores_path=None if sp is None else str(sp), limit=None if limit is None else int(limit),
            version=str(run.get("mailsleuth_version", "")),
        )

    def to_markdown(self, *, list_limit: int = LIST_LIMIT) -> str:
        """The tables for people: verdicts, detection rates, brands, checks, the cases, timing."""
        t = self.timing()
        lines = [
            "# mailsleuth evaluation", "",
            f"{len(self.messages)} messages from `{self.folder}` (labels `{self.labels_csv}`), "
            f"mailsleuth {self.version}, scores: {self.scores_path or 'shipped defaults'}"
            + (f", limit {self.limit}" if self.limit is not None else "") + ".",
            "Flagged = verdict phishing or spam; errors count as not flagged.", "",
            "## Verdicts by source and label", "",
            "| source | label | n | phishing | spam | suspicious | clean | error | flagged |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for v in self.verdict_counts():
            vc = v.counts
            lines.append(f"| {_md(v.source)} | {_md(v.label)} | {v.n} | {vc['phishing']} | {vc['spam']} | "
                         f"{vc['suspicious']} | {vc['clean']} | {vc['error']} | "
                         f"{Ratio(vc['phishing'] + vc['spam'], v.n).pct()} |")
        lines += [
            "", "## Detection", "",
            "Recall: labelled phishing -> flagged (strict: -> phishing). Spam recall: labelled spam -> flagged. "
            "FPR: labelled ham -> flagged (strict: -> phishing). Precision: labelled phishing or spam among the "
            "flagged (strict: labelled phishing among those called phishing).", "",
            "| scope | phishing | spam | ham | recall | recall (strict) | spam recall | FPR | FPR (strict) "
            "| precision | precision (strict) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for x in self.metrics():
            scope = f"**{x.scope}**" if x.scope == "overall" else _md(x.scope)
            lines.append(f"| {scope} | {x.n_phishing} | {x.n_spam} | {x.n_ham} | {x.recall.fmt()} | "
                         f"{x.recall_strict.fmt()} | {x.spam_recall.fmt()} | {x.fpr.fmt()} | {x.fpr_strict.fmt()} | "
                         f"{x.precision.fmt()} | {x.precision_strict.fmt()} |")
        ba = self.brand_accuracy()
        lines += ["", "## Brand accuracy", ""]
        if not ba.rows and not ba.unmapped:
            lines.append("No labelled brands.")
        else:
            lines += [
                f"The report names the labelled brand: {ba.overall.fmt()} of the messages with a known brand "
                f"label; {ba.when_flagged.fmt()} of those flagged.", "",
                "| brand label | brand id | n | correct | other brand | no brand | error | accuracy | named instead |",
                "|---|---|---:|---:|---:|---:|---:|---:|---|",
            ]
            for r in ba.rows:
                conf = ", ".join(f"{_md(b)} ×{n}" for b, n in r.confusions[:3])
                lines.append(f"| {_md(r.brand_label)} | {_md(r.brand_id)} | {r.n} | {r.correct} | {r.other} | "
                             f"{r.none} | {r.error} | {Ratio(r.correct, r.n).pct()} | {conf} |")
            if ba.unmapped:
                lines += ["", "Brand labels that map onto no brand id (not counted above): "
                          + ", ".join(f"{_md(b)} ({n})" for b, n in ba.unmapped) + "."]
        lines += [
            "", "## Checks", "",
            "How often each check fires per label (share of the messages with that label), its mean points when "
            "it fires, the points it gave to labelled phishing/spam, and in how many catches (labelled "
            "phishing/spam, flagged) and false alarms (labelled ham, flagged) it took part. Most points first.", "",
            "| check | kind | weight | phishing | spam | ham | mean pts | pts on phish+spam | catches "
            "| false alarms |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        stats = self.check_stats()
        for c in stats:
            name = f"{c.info.id} (composite)" if c.info.composite else c.info.id
            mp = "–" if c.mean_points is None else f"{c.mean_points:.2f}"
            lines.append(f"| {name} | {c.info.kind} | {c.info.weight:g} | {_fires(c, 'phishing')} | "
                         f"{_fires(c, 'spam')} | {_fires(c, 'ham')} | {mp} | {c.points_on_positive:.1f} | "
                         f"{c.in_catches} | {c.in_false_alarms} |")
        behind = sorted((c for c in stats if c.in_false_alarms), key=lambda c: (-c.in_false_alarms, c.info.id))
        fa = self.false_alarms()
        lines += ["", f"### Checks behind the {len(fa)} false alarms", ""]
        if behind:
            lines += ["| check | false alarms | fires on ham |", "|---|---:|---:|"]
            lines += [f"| {c.info.id} | {c.in_false_alarms} | {_fires(c, 'ham')} |" for c in behind]
        else:
            lines.append("None.")
        missed = self.missed()
        lines += ["", f"## Missed phishing and spam ({len(missed)})", "",
                  f"Labelled phishing or spam not flagged; the highest scores (closest to a catch) first, "
                  f"at most {list_limit} per label and source.", ""]
        lines += _case_table(missed, list_limit, with_label=True)
        lines += ["", f"## False alarms on ham ({len(fa)})", "",
                  f"Labelled ham flagged as phishing or spam; at most {list_limit} per source.", ""]
        lines += _case_table(fa, list_limit, with_label=False)
        errs = self.errors
        lines += ["", f"## Errors ({len(errs)})", ""]
        if errs:
            lines += ["| path | source | label | error |", "|---|---|---|---|"]
            lines += [f"| {_md(m.path)} | {_md(m.source)} | {_md(m.label)} | {_md(m.error)} |"
                      for m in errs[:list_limit * 4]]
            if len(errs) > list_limit * 4:
                lines.append(f"| … {len(errs) - list_limit * 4} more (eval.json) | | | |")
        else:
            lines.append("None.")
        lines += [
            "", "## Time", "",
            f"{t.n} messages in {t.wall_seconds:.1f} s wall clock with {t.jobs} job(s): "
            f"{t.per_second:.0f} messages/s. Per message (reading + analysis, in the worker): "
            f"mean {1000 * t.mean:.1f} ms, p50 {1000 * t.p50:.1f} ms, p99 {1000 * t.p99:.1f} ms, "
            f"max {1000 * t.max:.1f} ms.", "",
        ]
        return "\n".join(lines)


def _metrics(scope: str, ms: Iterable[MessageResult]) -> Metrics:
    by_label: dict[str, list[MessageResult]] = defaultdict(list)
    flagged: list[MessageResult] = []
    called: list[MessageResult] = []
    for m in ms:
        by_label[m.label].append(m)
        if m.flagged:
            flagged.append(m)
        if m.verdict == "phishing":
            called.append(m)
    ph, sp, ham = by_label["phishing"], by_label["spam"], by_label["ham"]
    return Metrics(
        scope=scope, n_phishing=len(ph), n_spam=len(sp), n_ham=len(ham),
        recall=Ratio(sum(m.flagged for m in ph), len(ph)),
        recall_strict=Ratio(sum(m.verdict == "phishing" for m in ph), len(ph)),
        spam_recall=Ratio(sum(m.flagged for m in sp), len(sp)),
        fpr=Ratio(sum(m.flagged for m in ham), len(ham)),
        fpr_strict=Ratio(sum(m.verdict == "phishing" for m in ham), len(ham)),
        precision=Ratio(sum(m.label in ("phishing", "spam") for m in flagged), len(flagged)),
        precision_strict=Ratio(sum(m.label == "phishing" for m in called), len(called)),
    )


def _case(m: MessageResult) -> dict[str, Any]:
    return {"path": m.path, "source": m.source, "label": m.label, "verdict": m.verdict, "score": m.score,
            "brand_id": m.brand_id, "top_findings": [f.to_json() for f in m.top()], "error": m.error}


def _fires(c: CheckStats, label: str) -> str:
    r = c.share(label)
    return f"{r.num} ({r.pct()})" if r.den else "–"


def _md(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _case_table(ms: list[MessageResult], limit: int, *, with_label: bool) -> list[str]:
    """At most ``limit`` rows per (label, source), in the order given; the rest are counted."""
    if not ms:
        return ["None."]
    head = "| path | source |" + (" label |" if with_label else "") + " verdict | score | top findings (points) |"
    sep = "|---|---|" + ("---|" if with_label else "") + "---|---:|---|"
    out = [head, sep]
    groups: dict[tuple[str, str], list[MessageResult]] = {}
    for m in ms:
        groups.setdefault((m.label, m.source), []).append(m)
    for (label, source), group in groups.items():
        for m in group[:limit]:
            tops = ", ".join(f"{f.id} {f.points:g}" for f in m.top()) or (_md(m.error) if m.error else "–")
            out.append(f"| {_md(m.path)} | {_md(m.source)} |" + (f" {_md(m.label)} |" if with_label else "")
                       + f" {m.verdict} | {m.score:g} | {tops} |")
        if len(group) > limit:
            out.append(f"| … {len(group) - limit} more (eval.json) | {_md(source)} |"
                       + (f" {_md(label)} |" if with_label else "") + " | | |")
    return out


# --------------------------------------------------------------------------- labels and brands


@dataclass(frozen=True, slots=True)
class LabelRow:
    path: str
    label: str
    source: str
    brand: str


def load_labels(labels_csv: Path, *, limit: int | None = None) -> list[LabelRow]:
    """Rows of the labels file, in file order. With ``limit``, that many rows spread evenly over
    the file (the corpus is sorted by folder, so the first N rows would all be one source)."""
    with labels_csv.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"path", "label"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{labels_csv}: missing column(s) {', '.join(sorted(missing))}")
        rows = [LabelRow(path=(r.get("path") or "").strip(), label=(r.get("label") or "").strip(),
                         source=(r.get("source") or "").strip(), brand=(r.get("brand") or "").strip())
                for r in reader]
    rows = [r for r in rows if r.path]
    if limit is not None and 0 <= limit < len(rows):
        rows = [rows[i * len(rows) // limit] for i in range(limit)]
    return rows


def _key(text: str) -> str:
    return fold(text).replace(" ", "")


def map_brand_label(label: str, index: BrandIndex) -> str | None:
    """The brand id a free-text brand label stands for, or None when it maps onto none (or several).

    Tried in order, after :func:`~mailsleuth.normalize.fold` (spaces ignored): the id, the name and
    English name, the other names, the JPCERT/CC descriptions, the weak names; last, a brand named
    in the label (``"Amazon.co.jp"``) when the label names exactly one.
    """
    k = _key(label)
    if not k:
        return None
    tiers = (
        lambda b: (b.id,),
        lambda b: (b.name, b.name_en),
        lambda b: b.names,
        lambda b: b.jpcert_descriptions,
        lambda b: b.weak_names,
    )
    for tier in tiers:
        ids = sorted({b.id for b in index.brands if any(_key(x) == k for x in tier(b))})
        if len(ids) == 1:
            return ids[0]
        if ids:
            return None  # ambiguous
    hits = index.find(label, allow_weak=True)
    return hits[0].brand.id if len(hits) == 1 else None


# --------------------------------------------------------------------------- running


@dataclass(frozen=True, slots=True)
class _Outcome:
    verdict: Outcome
    score: float
    brand_id: str
    brand_name: str
    brand_role: str
    findings: tuple[FindingHit, ...]
    seconds: float
    error: str = ""


_WORKER_SCORES: dict[tuple[str, int, int], Scores] = {}


def _scores(path: str | None) -> Scores:
    """The shipped scores, or those with the override file at ``path`` on top (cached per process
    while the file is unchanged)."""
    if path is None:
        return default_scores()
    st = os.stat(path)
    key = (path, st.st_mtime_ns, st.st_size)
    sc = _WORKER_SCORES.get(key)
    if sc is None:
        sc = load_scores(Path(path), groups=check_groups())
        _WORKER_SCORES[key] = sc
    return sc


def _init_worker(scores_path: str | None) -> None:
    """Load the scores, brands and geo data once per worker, so per-message times are the analysis."""
    from .geo import default_country_lookup

    _scores(scores_path)
    BrandIndex.load()
    default_country_lookup()


def _analyze_one(path: str, scores_path: str | None) -> _Outcome:
    from .analyze import analyze

    start = time.perf_counter()
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_INPUT)
        report = analyze(data, scores=_scores(scores_path))
    except Exception as exc:  # recorded, never dropped: the tables must account for every message
        return _Outcome("error", 0.0, "", "", "", (), time.perf_counter() - start, _exc_text(exc))
    seconds = time.perf_counter() - start
    b = report.brand
    return _Outcome(
        verdict=report.verdict, score=float(report.score), brand_id=b.id if b else "", brand_name=b.name if b else "",
        brand_role=b.role if b else "",
        findings=tuple(FindingHit(f.id, float(f.score), float(f.confidence)) for f in report.findings),
        seconds=seconds,
    )


def _analyze_chunk(paths: list[str], scores_path: str | None) -> list[_Outcome]:
    return [_analyze_one(p, scores_path) for p in paths]


def _exc_text(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _chunks(n: int, jobs: int) -> list[range]:
    size = max(1, min(64, n // (jobs * 8) or 1))
    return [range(i, min(n, i + size)) for i in range(0, n, size)]


def evaluate(folder: Path, labels_csv: Path, *, jobs: int = 2, scores_path: Path | None = None,
             limit: int | None = None, brands: BrandIndex | None = None) -> EvalResult:
    """Analyse every message listed in ``labels_csv`` (paths relative to ``folder``).

    ``jobs`` worker processes analyse the messages in chunks (``jobs <= 1``: in this process).
    ``scores_path`` is a scores override file as ``--scores`` takes (read on top of the shipped
    scores); ``limit`` evaluates that many rows spread evenly over the labels file.
    """
    folder = Path(folder)
    rows = load_labels(Path(labels_csv), limit=limit)
    index = brands or BrandIndex.load()
    brand_ids = {b: map_brand_label(b, index) for b in sorted({r.brand for r in rows if r.brand})}
    sp = str(scores_path) if scores_path is not None else None
    scores = _scores(sp)  # also fails early on a broken scores file
    paths = [os.fspath(folder / r.path) for r in rows]
    outcomes: list[_Outcome | None] = [None] * len(rows)
    start = time.perf_counter()
    if jobs <= 1 or len(rows) <= 1:
        _init_worker(sp)
        for i, p in enumerate(paths):
            outcomes[i] = _analyze_one(p, sp)
    else:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(sp,)) as pool:
            futures: list[tuple[range, Future[list[_Outcome]]]] = [
                (chunk, pool.submit(_analyze_chunk, [paths[i] for i in chunk], sp))
                for chunk in _chunks(len(rows), jobs)
            ]
            for chunk, fut in futures:
                try:
                    got = fut.result()
                except Exception as exc:  # a worker died (BrokenProcessPool ...): its messages are errors
                    got = [_Outcome("error", 0.0, "", "", "", (), 0.0, _exc_text(exc)) for _ in chunk]
                for i, got_one in zip(chunk, got, strict=True):
                    outcomes[i] = got_one
    wall = time.perf_counter() - start
    messages = []
    for r, o in zip(rows, outcomes, strict=True):
        assert o is not None
        messages.append(MessageResult(
            path=r.path, label=r.label, source=r.source, brand_label=r.brand,
            brand_label_id=brand_ids.get(r.brand) if r.brand else None, verdict=o.verdict, score=o.score,
            brand_id=o.brand_id, brand_name=o.brand_name, brand_role=o.brand_role, findings=o.findings,
            seconds=o.seconds, error=o.error))
    return EvalResult(messages=messages, checks=check_infos(scores), thresholds=dict(scores.thresholds),
                      jobs=max(1, jobs), wall_seconds=wall, folder=str(folder), labels_csv=str(labels_csv),
                      scores_path=sp, limit=limit)


def check_infos(scores: Scores) -> dict[str, CheckInfo]:
    """Kind, group and weight of every check and composite of ``scores``."""
    from .checks import all_checks

    registry = all_checks()
    out = {cid: CheckInfo(cid, r.kind, registry[cid].group if cid in registry else r.group, r.weight)
           for cid, r in scores.rules.items()}
    for c in scores.composites:
        out[c.id] = CheckInfo(c.id, c.kind, c.group, c.weight, composite=True)
    return dict(sorted(out.items()))


# --------------------------------------------------------------------------- command line


def write_outputs(result: EvalResult, out_dir: Path) -> tuple[Path, Path]:
    """Write ``eval.md`` and ``eval.json`` into ``out_dir`` (created if needed)."""
    import json

    out_dir.mkdir(parents=True, exist_ok=True)
    md, js = out_dir / "eval.md", out_dir / "eval.json"
    md.write_text(result.to_markdown(), encoding="utf-8")
    js.write_text(json.dumps(result.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return md, js


def eval_command(folder: str, labels: str | None = None, *, jobs: int = 2, out: str | None = None,
                 scores: str | None = None, limit: int | None = None) -> int:
    """``mailsleuth eval``: print the Markdown, write ``OUT/eval.md`` and ``OUT/eval.json``.

    ``labels`` defaults to ``FOLDER/labels.csv``; a relative path that does not exist is also
    looked for in the folder.

    Exit status: 0, or 1 when a message ended in an error; 3 when the folder, the labels file
    or the scores file cannot be read; 4 for a bad ``--jobs`` / ``--limit``.
    """
    import sys

    root = Path(folder)
    labels_csv = Path(labels) if labels else root / "labels.csv"
    if labels and not labels_csv.exists() and not labels_csv.is_absolute() and (root / labels_csv).exists():
        labels_csv = root / labels_csv  # "--labels labels.csv" names the one in FOLDER
    if jobs < 1 or (limit is not None and limit < 1):
        print("mailsleuth eval: --jobs and --limit must be at least 1", file=sys.stderr)
        return 4
    needed = [(root, "folder"), (labels_csv, "labels file")]
    if scores:
        needed.append((Path(scores), "scores file"))
    for p, what in needed:
        if not p.exists():
            print(f"mailsleuth eval: {p}: no such {what}", file=sys.stderr)
            return 3
    try:
        result = evaluate(root, labels_csv, jobs=jobs, scores_path=Path(scores) if scores else None, limit=limit)
    except (OSError, ValueError, KeyError, csv.Error) as exc:  # unreadable labels or scores file
        print(f"mailsleuth eval: {_exc_text(exc)}", file=sys.stderr)
        return 3
    print(result.to_markdown())
    if out:
        md, js = write_outputs(result, Path(out))
        print(f"mailsleuth eval: wrote {md} and {js}", file=sys.stderr)
    errs = result.errors
    if errs:
        print(f"mailsleuth eval: {len(errs)} message(s) ended in an error, e.g. {errs[0].path}: {errs[0].error}",
              file=sys.stderr)
    return 1 if errs else 0
