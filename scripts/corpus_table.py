"""Run mailsleuth over a labelled corpus and print the detection table (Markdown).

    python scripts/corpus_table.py [CORPUS_DIR] [--jobs N] [--json OUT.json]

CORPUS_DIR defaults to ../shared/corpus; it must hold labels.csv (path,label,source,brand).
Every message is analysed; a message that raises is counted under "error" (never dropped).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _one(path: str) -> tuple[str, str, str, list[str]]:
    import mailsleuth

    try:
        report = mailsleuth.analyze(Path(path).read_bytes())
    except Exception as exc:  # counted and listed: the table must show every message
        return path, "error", f"{type(exc).__name__}: {exc}", []
    brand = report.brand.id if report.brand else ""
    return path, report.verdict, brand, [f.id for f in report.findings]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="?", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", help="write per-message results here")
    args = ap.parse_args()
    corpus = Path(args.corpus)
    rows = list(csv.DictReader((corpus / "labels.csv").open(encoding="utf-8")))
    paths = [str(corpus / r["path"]) for r in rows]
    start = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(_one, paths, chunksize=32))
    elapsed = time.perf_counter() - start
    table: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    errors = []
    for row, (path, verdict, detail, _ids) in zip(rows, results, strict=True):
        table[(row["source"], row["label"])][verdict] += 1
        if verdict == "error":
            errors.append((path, detail))
    print(f"{len(rows)} messages in {elapsed:.1f} s with {args.jobs} processes "
          f"({len(rows) / elapsed:.0f} msg/s)\n")
    print("| source | label | n | phishing | spam | suspicious | clean | error | flagged (phishing+spam) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for (source, label), c in sorted(table.items()):
        n = sum(c.values())
        flagged = c["phishing"] + c["spam"]
        print(f"| {source} | {label} | {n} | {c['phishing']} | {c['spam']} | {c['suspicious']} | "
              f"{c['clean']} | {c['error']} | {100 * flagged / n:.1f} % |")
    for path, detail in errors[:20]:
        print(f"error: {path}: {detail}", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(
            [{"path": p, "label": r["label"], "source": r["source"], "brand": r["brand"], "verdict": v,
              "detail": d, "findings": ids} for r, (p, v, d, ids) in zip(rows, results, strict=True)],
            ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
