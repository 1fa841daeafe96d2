"""The JSON output validates against the schema shipped in the package."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

import mailsleuth

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads(resources.files("mailsleuth").joinpath("schema/report.schema.json").read_text("utf-8"))


def test_schema_is_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.eml")), ids=lambda p: p.name)
def test_reports_validate(path: Path) -> None:
    jsonschema.validate(mailsleuth.analyze(path.read_bytes()).to_dict(), SCHEMA)


def test_schema_rejects_a_wrong_verdict() -> None:
    out = mailsleuth.analyze((ROOT / "examples" / "colleague-clean.eml").read_bytes()).to_dict()
    out["verdict"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(out, SCHEMA)


def test_corpus_sample_validates(shared: Path) -> None:
    files = sorted((shared / "corpus").rglob("*.eml"))[::60]
    for path in files:
        jsonschema.validate(mailsleuth.analyze(path.read_bytes()).to_dict(), SCHEMA)
