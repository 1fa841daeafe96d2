"""A fixed sample of the reference corpus through the real command line: every message gets
a result line (none dropped, none crashed), and the verdicts stay sound on both sides.
The whole-corpus run is `mailsleuth eval`."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path


def _sample(shared: Path, every: int = 20) -> list[dict[str, str]]:
    rows = list(csv.DictReader((shared / "corpus" / "labels.csv").open(encoding="utf-8")))
    return rows[::every]


def test_jsonl_over_a_corpus_sample(shared: Path) -> None:
    rows = _sample(shared)
    paths = [str(shared / "corpus" / r["path"]) for r in rows]
    proc = subprocess.run([sys.executable, "-m", "mailsleuth.cli", "analyze", "--format", "jsonl", *paths],
                          capture_output=True, timeout=600)
    assert proc.returncode in (0, 1, 2), proc.stderr.decode()[-2000:]
    lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [x["path"] for x in lines] == paths
    assert all("error" not in x for x in lines)
    by = {x["path"]: x["verdict"] for x in lines}
    tally: Counter[tuple[str, str, str]] = Counter()
    for r, p in zip(rows, paths, strict=True):
        tally[(r["source"], r["label"], by[p])] += 1
    ja_phish = sum(v for (s, label, _), v in tally.items() if s.startswith("ja") and label == "phishing")
    ja_caught = sum(v for (s, label, verdict), v in tally.items()
                    if s.startswith("ja") and label == "phishing" and verdict == "phishing")
    assert ja_phish >= 15 and ja_caught / ja_phish >= 0.9, tally
    ham_phishing = sum(v for (_, label, verdict), v in tally.items() if label == "ham" and verdict == "phishing")
    assert ham_phishing == 0, tally
