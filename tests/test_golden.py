"""Golden renders of the example mails: JSON and the plain terminal report, compared exactly.

Regenerate after an intended change with:  MAILSLEUTH_UPDATE_GOLDEN=1 pytest tests/test_golden.py
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

import mailsleuth
from conftest import compare_golden
from mailsleuth.enrich import offline_enricher
from mailsleuth.render_text import render

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
# Lookup times fixed and no feed store, so that the goldens are the same on every machine.
ENRICHER = offline_enricher(use_feeds=False, clock=lambda: "2026-01-01T00:00:00+00:00")
CASES = ["ekinet-account-deleted", "amazon-lookalike", "colleague-clean"]


@pytest.mark.parametrize("case", CASES)
def test_json_golden(case: str) -> None:
    report = mailsleuth.analyze((ROOT / "examples" / f"{case}.eml").read_bytes(), enricher=ENRICHER)
    compare_golden(GOLDEN / f"{case}.json", json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_text_golden(case: str, lang: str) -> None:
    report = mailsleuth.analyze((ROOT / "examples" / f"{case}.eml").read_bytes(), enricher=ENRICHER)
    buf = io.StringIO()
    render(report, Console(file=buf, width=100, color_system=None, force_terminal=False), lang)
    compare_golden(GOLDEN / f"{case}.{lang}.txt", buf.getvalue())
