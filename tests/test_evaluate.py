"""``mailsleuth eval``: the evaluation engine over a tiny labelled folder, and a fixed slice of
the reference corpus."""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from mailsleuth.brands import BrandIndex
from mailsleuth.evaluate import EvalResult, MessageResult, eval_command, evaluate, map_brand_label
from mailsleuth.scoring import default_scores, load_scores

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"
FIX = Path(__file__).resolve().parent / "data" / "eval"

# path, label, source, brand. "mislabelled" rows give a known false alarm and a known miss.
ROWS = [
    ("examples/ekinet-account-deleted.eml", "phishing", "examples", "えきねっと"),
    ("examples/amazon-lookalike.eml", "phishing", "examples", "ＡＭＡＺＯＮ"),
    ("examples/colleague-clean.eml", "ham", "examples", ""),
    ("mail/smbc-card-phish.eml", "phishing", "synthetic", "三井住友カード"),
    ("mail/casino-spam.eml", "spam", "synthetic", ""),
    ("mail/newsletter-ham.eml", "ham", "synthetic", ""),
    ("mail/not-a-mail.png", "spam", "synthetic", ""),
    ("mail/deleted.eml", "spam", "synthetic", ""),
    ("examples/ekinet-account-deleted.eml", "ham", "mislabelled", ""),
    ("examples/colleague-clean.eml", "phishing", "mislabelled", "Acme Widgets"),
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("evalcorpus")
    (root / "examples").mkdir()
    for f in EX.glob("*.eml"):
        shutil.copy(f, root / "examples" / f.name)
    shutil.copytree(FIX, root / "mail")
    (root / "mail" / "deleted.eml").write_bytes(b"Subject: gone\n\nlisted, then deleted\n")
    with (root / "labels.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "label", "source", "brand"])
        w.writerows(ROWS)
    (root / "mail" / "deleted.eml").unlink()  # listed in labels.csv, gone when read
    return root


@pytest.fixture(scope="module")
def result(folder: Path) -> EvalResult:
    return evaluate(folder, folder / "labels.csv", jobs=1)


def _by(result: EvalResult, path: str, source: str) -> MessageResult:
    return next(m for m in result.messages if m.path == path and m.source == source)


def test_every_row_has_a_result_in_order(result: EvalResult) -> None:
    assert [(m.path, m.label, m.source, m.brand_label) for m in result.messages] == ROWS
    assert _by(result, "examples/ekinet-account-deleted.eml", "examples").verdict == "phishing"
    assert _by(result, "examples/amazon-lookalike.eml", "examples").verdict == "phishing"
    assert _by(result, "examples/colleague-clean.eml", "examples").verdict == "clean"
    assert _by(result, "mail/newsletter-ham.eml", "synthetic").verdict == "clean"


def test_not_a_mail_gets_a_verdict_and_a_deleted_file_an_error(result: EvalResult) -> None:
    png = _by(result, "mail/not-a-mail.png", "synthetic")
    assert png.verdict != "error" and not png.error
    assert "STRUCTURE_NOT_EMAIL" in {f.id for f in png.findings}
    gone = _by(result, "mail/deleted.eml", "synthetic")
    assert gone.verdict == "error" and gone.error.startswith("FileNotFoundError")
    assert result.errors == [gone]


def test_counts_per_source_and_label(result: EvalResult) -> None:
    counts = {(v.source, v.label): v for v in result.verdict_counts()}
    assert list(counts) == sorted(counts)
    assert counts[("examples", "phishing")].n == 2 and counts[("examples", "phishing")].counts["phishing"] == 2
    assert counts[("mislabelled", "ham")].counts["phishing"] == 1
    assert counts[("mislabelled", "phishing")].counts["clean"] == 1
    syn_spam = counts[("synthetic", "spam")]
    assert syn_spam.n == 3 and syn_spam.counts["error"] == 1
    assert sum(v.n for v in counts.values()) == len(ROWS)


def test_recall_fpr_precision_arithmetic(result: EvalResult) -> None:
    ms = result.messages
    metrics = {x.scope: x for x in result.metrics()}
    assert list(metrics) == ["examples", "mislabelled", "synthetic", "overall"]
    overall = metrics["overall"]
    phish = [m for m in ms if m.label == "phishing"]
    flagged = [m for m in ms if m.verdict in ("phishing", "spam")]
    called = [m for m in ms if m.verdict == "phishing"]
    assert (overall.n_phishing, overall.n_spam, overall.n_ham) == (4, 3, 3)
    assert (overall.recall.num, overall.recall.den) == (sum(m.verdict in ("phishing", "spam") for m in phish), 4)
    assert overall.recall.num == 3  # all but the clean mail labelled phishing
    assert overall.recall_strict.num == sum(m.verdict == "phishing" for m in phish)
    assert (overall.fpr.num, overall.fpr.den) == (1, 3) and (overall.fpr_strict.num, overall.fpr_strict.den) == (1, 3)
    assert overall.fpr.value == pytest.approx(1 / 3)
    assert overall.precision.den == len(flagged)
    assert overall.precision.num == sum(m.label in ("phishing", "spam") for m in flagged)
    assert overall.precision_strict.den == len(called)
    assert overall.precision_strict.num == len(called) - 1  # the mislabelled ham
    ex = metrics["examples"]
    assert ex.recall.fmt() == "100.0 % (2/2)" and ex.fpr.fmt() == "0.0 % (0/1)" and ex.spam_recall.fmt() == "–"
    # errors count as not flagged
    assert metrics["synthetic"].spam_recall.den == 3
    assert metrics["synthetic"].spam_recall.num <= 2


def test_brand_accuracy_maps_free_text_labels(result: EvalResult) -> None:
    ba = result.brand_accuracy()
    rows = {r.brand_label: r for r in ba.rows}
    assert rows["えきねっと"].brand_id == "eki-net" and rows["えきねっと"].correct == 1
    assert rows["ＡＭＡＺＯＮ"].brand_id == "amazon" and rows["ＡＭＡＺＯＮ"].correct == 1
    assert rows["三井住友カード"].brand_id == "smbc-card" and rows["三井住友カード"].correct == 1
    assert (ba.overall.num, ba.overall.den) == (3, 3)
    assert ba.unmapped == (("Acme Widgets", 1),)  # listed apart, not a miss


def test_map_brand_label() -> None:
    index = BrandIndex.load()
    assert map_brand_label("えきねっと", index) == "eki-net"
    assert map_brand_label("エキネット", index) == "eki-net"
    assert map_brand_label("ETC利用照会サービス", index) == "etc-meisai"
    assert map_brand_label("Vpass", index) == "smbc-card"
    assert map_brand_label("amazon.co.jp", index) == "amazon"
    assert map_brand_label("Acme Widgets", index) is None
    assert map_brand_label("", index) is None


def test_missed_and_false_alarms(result: EvalResult) -> None:
    missed = {(m.path, m.source) for m in result.missed()}
    assert ("examples/colleague-clean.eml", "mislabelled") in missed
    assert ("mail/deleted.eml", "synthetic") in missed
    assert not any(m.label == "ham" for m in result.missed())
    fa = result.false_alarms()
    assert [(m.path, m.source) for m in fa] == [("examples/ekinet-account-deleted.eml", "mislabelled")]
    case = result.to_json()["false_alarms"][0]
    assert case["verdict"] == "phishing" and len(case["top_findings"]) == 3
    points = [f["points"] for f in case["top_findings"]]
    assert points == sorted(points, reverse=True) and points[0] > 0


def test_per_check_counts(result: EvalResult) -> None:
    stats = {c.info.id: c for c in result.check_stats()}
    assert set(result.checks) <= set(stats)  # every check listed, fired or not
    for cid, c in stats.items():
        for label in ("phishing", "spam", "ham"):
            expected = sum(1 for m in result.messages if m.label == label and cid in {f.id for f in m.findings})
            assert c.fires.get(label, 0) == expected, (cid, label)
    dn = stats["DISPLAY_NAME_BRAND_MISMATCH"]
    assert dn.fires["ham"] == 1 and dn.in_false_alarms == 1  # the mislabelled えきねっと mail
    assert dn.share("ham").den == 3 and dn.info.kind == "phishing" and dn.info.weight > 0
    assert dn.mean_points is not None and dn.mean_points > 0
    order = [c.points_on_positive for c in result.check_stats()]
    assert order == sorted(order, reverse=True)


def test_timing(result: EvalResult) -> None:
    t = result.timing()
    assert t.n == len(ROWS) and t.jobs == 1 and t.wall_seconds > 0
    assert 0 <= t.p50 <= t.p99 <= t.max and t.mean > 0 and t.per_second > 0


def test_markdown_has_the_tables(result: EvalResult) -> None:
    md = result.to_markdown()
    for heading in ("## Verdicts by source and label", "## Detection", "## Brand accuracy", "## Checks",
                    "## Missed phishing and spam", "## False alarms on ham", "## Errors (1)", "## Time"):
        assert heading in md
    assert "| examples | phishing | 2 | 2 |" in md
    assert "| えきねっと | eki-net | 1 | 1 |" in md
    assert "Acme Widgets (1)" in md
    assert "FileNotFoundError" in md
    assert md == result.to_markdown()  # deterministic


def test_json_round_trips(result: EvalResult) -> None:
    doc = result.to_json()
    again = json.loads(json.dumps(doc, ensure_ascii=False))
    assert again == doc
    rebuilt = EvalResult.from_json(again)
    assert rebuilt.to_json() == doc
    assert rebuilt.to_markdown() == result.to_markdown()
    assert doc["metrics"][-1]["scope"] == "overall"
    assert doc["messages"][0]["findings"][0].keys() == {"id", "points", "confidence"}


def test_parallel_run_gives_the_same_results(folder: Path, result: EvalResult) -> None:
    par = evaluate(folder, folder / "labels.csv", jobs=2)
    strip = [(m.path, m.verdict, m.score, m.findings, m.error) for m in par.messages]
    assert strip == [(m.path, m.verdict, m.score, m.findings, m.error) for m in result.messages]
    assert par.timing().jobs == 2


def test_scores_override_and_limit(folder: Path, tmp_path: Path) -> None:
    override = tmp_path / "scores.toml"
    override.write_text("[checks.DISPLAY_NAME_BRAND_MISMATCH]\nweight = 0.0\n", encoding="utf-8")
    r = evaluate(folder, folder / "labels.csv", jobs=1, scores_path=override, limit=3)
    assert len(r.messages) == 3 and r.limit == 3
    assert r.checks["DISPLAY_NAME_BRAND_MISMATCH"].weight == 0.0
    for m in r.messages:
        assert all(f.points == 0.0 for f in m.findings if f.id == "DISPLAY_NAME_BRAND_MISMATCH")


def test_eval_command_writes_files(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    assert eval_command(str(folder), str(folder / "labels.csv"), jobs=1, out=str(out)) == 1  # one error
    printed = capsys.readouterr().out
    assert printed.startswith("# mailsleuth evaluation")
    assert printed == (out / "eval.md").read_text(encoding="utf-8") + "\n"
    assert json.loads((out / "eval.json").read_text(encoding="utf-8"))["run"]["n"] == len(ROWS)
    ok = tmp_path / "ok.csv"
    ok.write_text("path,label,source,brand\nexamples/colleague-clean.eml,ham,examples,\n", encoding="utf-8")
    assert eval_command(str(folder), str(ok), jobs=1) == 0
    assert eval_command(str(folder), str(tmp_path / "missing.csv")) == 3
    assert eval_command(str(folder), "labels.csv", jobs=1) == 1  # not in the cwd: FOLDER/labels.csv
    assert eval_command(str(folder), str(ok), jobs=0) == 4


def test_corpus_slice(shared: Path, tmp_path: Path) -> None:
    corpus = shared / "corpus"
    with (corpus / "labels.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        rows = list(reader)[::100]
    labels = tmp_path / "slice.csv"
    with labels.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    r = evaluate(corpus, labels, jobs=2)
    assert len(r.messages) == len(rows) and not r.errors
    assert [m.path for m in r.messages] == [row["path"] for row in rows]
    assert r.brand_accuracy().unmapped == ()
    ja = next(x for x in r.metrics() if x.scope == "ja_mailing_list_archives")
    assert ja.recall.den >= 3 and ja.recall.value is not None and ja.recall.value >= 0.75
    overall = r.metrics()[-1]
    assert overall.fpr.value is not None and overall.fpr.value <= 0.05
    assert EvalResult.from_json(json.loads(json.dumps(r.to_json()))).to_json() == r.to_json()


def _fit_weights_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fit_weights", ROOT / "scripts" / "fit_weights.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["fit_weights"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def test_fit_weights_writes_a_loadable_proposal(result: EvalResult, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    fw = _fit_weights_module()
    doc = tmp_path / "eval.json"
    doc.write_text(json.dumps(result.to_json(), ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "proposed.toml"
    assert fw.main(["--eval", str(doc), "--out", str(out), "--no-reevaluate", "--folds", "2"]) == 0
    printed = capsys.readouterr().out
    assert "| check | kind | support ph/sp/ham | current |" in printed
    scores = load_scores(out)
    assert set(scores.rules) == set(default_scores().rules)
    assert all(r.weight >= 0 for r in scores.rules.values())
    assert "STYLED_LETTERS" in out.read_text(encoding="utf-8")
    with pytest.raises(SystemExit, match="refusing"):
        fw.write_toml(ROOT / "src" / "mailsleuth" / "data" / "scores.toml", [], [])


def test_fit_logistic_finds_the_signal() -> None:
    import numpy as np

    fw = _fit_weights_module()
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, size=(400, 3)).astype(float)
    y = ((x[:, 0] + 0.2 * rng.standard_normal(400)) > 0.5).astype(float)  # only feature 0 matters
    b0, w = fw.fit_logistic(x, y, 1.0)
    assert w[0] > 3 and abs(w[1]) < 1 and abs(w[2]) < 1 and b0 < 0
