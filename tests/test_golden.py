"""Golden renders of the example mails: JSON and the plain terminal report, compared exactly.

Regenerate after an intended change with:  MAILSLEUTH_UPDATE_GOLDEN=1 pytest tests/test_golden.py
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from rich.console import Console

import mailsleuth
from mailsleuth.enrich import offline_enricher
from mailsleuth.render_text import render

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("MAILSLEUTH_UPDATE_GOLDEN") == "1"
# Lookup times fixed and no feed store, so that the goldens are the same on every machine.
ENRICHER = offline_enricher(use_feeds=False, clock=lambda: "2026-01-01T00:00:00+00:00")
CASES = ["ekinet-account-deleted", "amazon-lookalike", "colleague-clean"]


def _compare(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.is_file(), f"missing golden file {path.name}: run with MAILSLEUTH_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), f"{path.name} differs from its golden file"


@pytest.mark.parametrize("case", CASES)
def test_json_golden(case: str) -> None:
    report = mailsleuth.analyze((ROOT / "examples" / f"{case}.eml").read_bytes(), enricher=ENRICHER)
    _compare(GOLDEN / f"{case}.json", json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_text_golden(case: str, lang: str) -> None:
    report = mailsleuth.analyze((ROOT / "examples" / f"{case}.eml").read_bytes(), enricher=ENRICHER)
    buf = io.StringIO()
    render(report, Console(file=buf, width=100, color_system=None, force_terminal=False), lang)
    _compare(GOLDEN / f"{case}.{lang}.txt", buf.getvalue())
