"""Scores and composites come from the data file and behave as documented there."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailsleuth.checks import all_checks
from mailsleuth.models import Finding
from mailsleuth.scoring import default_scores, evaluate, load_scores, verdict_for


def test_every_check_has_a_weight_and_a_text_and_vice_versa() -> None:
    scores = default_scores()
    ids = set(all_checks())
    assert ids == set(scores.rules), "checks and [checks.*] in scores.toml differ"
    for cid in ids | {c.id for c in scores.composites}:
        assert cid.isupper() and " " not in cid
        assert {"ja", "en", "title_ja", "title_en"} <= set(scores.texts[cid]), cid


def test_composite_expressions() -> None:
    assert evaluate("A & (B | C)", {"A", "C"})
    assert not evaluate("A & (B | C)", {"A"})
    assert evaluate("!A | B", set())
    with pytest.raises(ValueError):
        evaluate("A & (B", {"A"})
    for comp in default_scores().composites:
        evaluate(comp.expr, set())  # parses


def test_group_caps_limit_points() -> None:
    scores = default_scores()
    many = [Finding(id=f"X{i}", group="content", score=3.0, explanation={}) for i in range(10)]
    verdict, total = verdict_for(many, scores)
    assert total == scores.caps["content"]
    assert verdict != "phishing"  # content alone is not phishing evidence


def test_user_override_file(tmp_path: Path) -> None:
    user = tmp_path / "mine.toml"
    user.write_text("[checks.SPAM_STAMP]\nweight = 9.5\n[thresholds]\nspam = 4.0\n", encoding="utf-8")
    scores = load_scores(user)
    assert scores.rules["SPAM_STAMP"].weight == 9.5
    assert scores.rules["SPAM_STAMP"].kind == "spam"
    assert scores.thresholds["spam"] == 4.0
    assert default_scores().rules["SPAM_STAMP"].weight != 9.5


def test_checks_doc_is_current() -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, str(root / "scripts" / "checks_doc.py"), "--check"], timeout=60)
    assert proc.returncode == 0, "docs/checks.md is stale: run python scripts/checks_doc.py"


def test_a_failing_check_becomes_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    import mailsleuth
    from mailsleuth.checks import REGISTRY, Check

    def broken(ev: object) -> None:
        raise RuntimeError("boom")

    chk = REGISTRY["SPAM_STAMP"]
    monkeypatch.setitem(REGISTRY, "SPAM_STAMP", Check(chk.id, chk.group, broken))  # type: ignore[arg-type]
    report = mailsleuth.analyze(b"From: a@example.org\nSubject: [spam] hi\n\nbody\n")
    assert any("SPAM_STAMP failed" in w for w in report.warnings)
    assert "SPAM_STAMP" not in {f.id for f in report.findings}
