"""The trained text model: the shipped file loads, predicts the example mails sensibly and
deterministically, explains itself with words of the mail, stays small, needs no scikit-learn
at run time; and training (script and API) produces a working model."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from mailsleuth import classifier
from mailsleuth.classifier import CLASSES, TextModel, featurize, load_model, message_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
MODEL_FILE = ROOT / "src" / "mailsleuth" / "data" / "model" / "text_model.json"
MAX_MODEL_BYTES = 2_000_000
HAS_SKLEARN = importlib.util.find_spec("sklearn") is not None
needs_sklearn = pytest.mark.skipif(not HAS_SKLEARN, reason="scikit-learn (the 'train' extra) is not installed")


@pytest.fixture
def model_checks() -> Iterator[ModuleType]:
    """``mailsleuth.checks.model``, imported for this test only when ``all_checks`` does not
    import it yet: the registry is put back afterwards, so other tests see the usual checks."""
    import mailsleuth.checks as checks

    checks.all_checks()  # the usual checks registered first, so that only ours are taken out
    was_imported = "mailsleuth.checks.model" in sys.modules
    before = set(checks.REGISTRY)
    module = importlib.import_module("mailsleuth.checks.model")
    added = set(checks.REGISTRY) - before
    yield module
    if not was_imported:
        for cid in added:
            del checks.REGISTRY[cid]
        sys.modules.pop("mailsleuth.checks.model", None)
        if hasattr(checks, "model"):
            delattr(checks, "model")


def _example(name: str) -> classifier.MessageText:
    return message_text((EXAMPLES / name).read_bytes())


def test_packaged_model_loads_once() -> None:
    model = load_model()
    assert model is load_model()
    assert model.classes == CLASSES
    assert len(model.terms) > 1000


def test_ekinet_example_is_phishing() -> None:
    pred = load_model().predict(*_example("ekinet-account-deleted.eml"))
    assert pred.label == "phishing"
    assert pred.probs["phishing"] >= 0.9
    assert abs(sum(pred.probs.values()) - 1.0) < 1e-9


def test_colleague_example_is_ham() -> None:
    pred = load_model().predict(*_example("colleague-clean.eml"))
    assert pred.label == "ham"
    assert pred.probs["phishing"] < 0.1


def test_predictions_are_deterministic() -> None:
    text = _example("ekinet-account-deleted.eml")
    first = load_model().predict(*text)
    again = TextModel.load(MODEL_FILE).predict(*text)
    assert first == again
    assert first == load_model().predict(*text)


@pytest.mark.parametrize("name", ["ekinet-account-deleted.eml", "colleague-clean.eml", "amazon-lookalike.eml"])
def test_top_terms_are_words_of_the_mail(name: str) -> None:
    text = _example(name)
    pred = load_model().predict(text.subject, text.body)
    assert pred.top_terms
    written = (text.subject + "\n" + text.body).lower()
    for term, weight in pred.top_terms:
        assert weight > 0
        assert term.lower() in written, term


def test_top_terms_join_japanese_ngrams() -> None:
    body = "アカウントが停止されました。ログインして確認してください。"
    pred = load_model().predict("【重要】アカウントの確認", body)
    terms = [t for t, _ in pred.top_terms]
    assert any(len(t) > 3 for t in terms), terms  # n-grams merged into longer stretches of text


def test_model_file_is_small() -> None:
    assert MODEL_FILE.stat().st_size < MAX_MODEL_BYTES


def test_featurize_reads_words_kanji_grams_subject_and_hosts() -> None:
    tokens = featurize("Verify your account", "アカウントを確認 http://login.example.co.jp/x", ["203.0.113.9"])
    assert "verify" in tokens and "s:verify" in tokens
    assert "アカ" in tokens and "カウン" in tokens and "確認" in tokens
    assert "を確" in tokens  # a gram with kanji stays; hiragana-only grams do not
    assert "u:tld:jp" in tokens and "u:dom:example.co.jp" in tokens and "u:ip" in tokens


def test_featurize_drops_grammar_digits_and_list_footer() -> None:
    body = "ご利用ありがとうございます 2024 年\n" + "\n" + "_" * 47 + "\nOsst-users mailing list\n" \
        "https://lists.sourceforge.net/lists/listinfo/osst-users\n"
    tokens = featurize("", body)
    assert "ござ" not in tokens and "ます" not in tokens
    assert not any(t.isdigit() for t in tokens)
    assert "osst" not in tokens and "u:dom:sourceforge.net" not in tokens


def test_featurize_caps_the_text_read() -> None:
    long = "word " * 100_000
    assert len(featurize("", long)) <= classifier.MAX_BODY // 4 + 1


def test_confidence_scales_from_threshold(model_checks: ModuleType) -> None:
    threshold = model_checks.PHISHING_THRESHOLD
    assert model_checks.confidence(threshold, threshold) == 0.5
    assert model_checks.confidence(1.0, threshold) == 1.0
    assert model_checks.confidence((1.0 + threshold) / 2, threshold) == 0.75


def test_checks_fire_on_the_examples(model_checks: ModuleType) -> None:
    import mailsleuth

    found = {f.id: f for f in mailsleuth.analyze((EXAMPLES / "ekinet-account-deleted.eml").read_bytes()).findings}
    assert "TEXT_MODEL_PHISHING" in found
    assert found["TEXT_MODEL_PHISHING"].evidence[0].startswith("p(phishing)=")
    assert any(e.startswith("term: ") for e in found["TEXT_MODEL_PHISHING"].evidence)
    clean = mailsleuth.analyze((EXAMPLES / "colleague-clean.eml").read_bytes()).findings
    assert not [f for f in clean if f.id.startswith("TEXT_MODEL_")]


def test_one_prediction_per_message(model_checks: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    from mailsleuth.brands import BrandIndex
    from mailsleuth.evidence import gather
    from mailsleuth.mime import parse_message

    calls = []
    real = load_model()

    class Counting:
        def predict(self, *args: object) -> classifier.Prediction:
            calls.append(args)
            return real.predict(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(model_checks, "load_model", lambda: Counting())
    ev = gather(parse_message((EXAMPLES / "ekinet-account-deleted.eml").read_bytes()),
                brand_index=BrandIndex.load(), countries=None)
    hit = model_checks.text_model_phishing(ev)
    assert model_checks.text_model_spam(ev) is None
    assert hit is not None and 0.5 <= hit.confidence <= 1.0
    assert hit.params["percent"] and hit.params["terms"]
    assert len(calls) == 1


def test_checks_use_a_model_given(model_checks: ModuleType) -> None:
    from mailsleuth.brands import BrandIndex
    from mailsleuth.evidence import gather
    from mailsleuth.mime import parse_message

    always_spam = TextModel(["spam", "ham"], [5.0, -5.0], {})
    ev = gather(parse_message((EXAMPLES / "colleague-clean.eml").read_bytes()),
                brand_index=BrandIndex.load(), countries=None)
    try:
        model_checks.use_model(always_spam)
        assert model_checks.text_model_spam(ev) is not None
    finally:
        model_checks.use_model(None)
    assert model_checks.prediction(ev).label == "ham"


def test_no_scikit_learn_at_run_time() -> None:
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        import mailsleuth
        import mailsleuth.checks.model
        from mailsleuth.classifier import load_model
        load_model().predict("Verify your account", "Your account has been locked. Log in now.")
        mailsleuth.analyze(Path({str(EXAMPLES / "ekinet-account-deleted.eml")!r}).read_bytes())
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("sklearn", "scipy")))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(out.stdout.strip().replace("'", '"')) == []


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    model = TextModel(["phishing", "ham"], [0.1, -0.1], {"verify": (1.5, 0.8, -0.8), "minutes": (2.0, -0.9, 0.9)})
    path = tmp_path / "m.json"
    model.save(path)
    loaded = TextModel.load(path)
    assert loaded.terms == model.terms and loaded.classes == model.classes
    pred = loaded.predict("verify", "verify now")
    assert pred.label == "phishing" and pred.top_terms[0][0] == "verify"


def test_unknown_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(ValueError):
        TextModel.load(path)


def _write_mail(folder: Path, name: str, subject: str, body: str) -> str:
    data = f"From: a@example.org\nTo: b@example.net\nSubject: {subject}\n\n{body}\n"
    (folder / name).write_text(data, encoding="utf-8")
    return name


@needs_sklearn
def test_train_from_labels_two_classes(tmp_path: Path) -> None:
    mails = tmp_path / "mail"
    mails.mkdir()
    rows = []
    for i in range(6):
        rows.append((_write_mail(mails, f"p{i}.eml", "Verify your account", f"Your account is locked {i}. "
                                 "Log in at http://verify.example.cn now."), "phishing"))
        rows.append((_write_mail(mails, f"h{i}.eml", "Minutes of Tuesday", f"Hi, the minutes {i} are on the wiki. "
                                 "See you on Friday."), "ham"))
    labels = tmp_path / "labels.csv"
    labels.write_text("path,label\n" + "".join(f"{p},{lab}\n" for p, lab in rows), encoding="utf-8")
    out = tmp_path / "model.json"
    summary = classifier.train_from_labels(mails, labels, out, seed=0)
    assert summary["messages"] == 12 and summary["classes"] == ["phishing", "ham"]
    model = TextModel.load(out)
    assert model.predict("Verify your account", "Your account is locked.").label == "phishing"
    assert model.predict("Minutes", "the minutes are on the wiki").label == "ham"
    first = out.read_bytes()
    classifier.train_from_labels(mails, labels, out, seed=0)
    assert out.read_bytes() == first


def test_training_without_scikit_learn_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("sklearn", "sklearn.feature_extraction.text", "sklearn.linear_model"):
        monkeypatch.setitem(sys.modules, name, None)  # makes the import fail as if not installed
    with pytest.raises(RuntimeError, match=r"mailsleuth\[train\]"):
        classifier.fit_tokens([["a"], ["b"]], ["phishing", "ham"])


@needs_sklearn
def test_training_script_on_a_small_subset(shared: Path, tmp_path: Path) -> None:
    out = tmp_path / "model.json"
    cmd = [sys.executable, str(ROOT / "scripts" / "train_classifier.py"), "--corpus", str(shared / "corpus"),
           "--limit", "60", "--folds", "3", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Cross-validation" in proc.stdout and "phishing_pot" in proc.stdout
    model = TextModel.load(out)
    assert set(model.classes) == set(CLASSES)
    assert model.predict(*_example("ekinet-account-deleted.eml")).label == "phishing"
    first = out.read_bytes()
    subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True)
    assert out.read_bytes() == first
