"""From hits to findings and a verdict, by the weights, group caps and composites in
``data/scores.toml``."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

from .models import Finding, Group, Verdict

_TOKEN_RE = re.compile(r"\s*([A-Z][A-Z0-9_]*|[&|!()])")


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    group: Group
    weight: float
    kind: str  # "phishing" | "spam" | "info"
    expr: str = ""  # composites only


@dataclass(frozen=True, slots=True)
class Scores:
    thresholds: dict[str, float]
    caps: dict[str, float]
    rules: dict[str, Rule]
    composites: tuple[Rule, ...]
    texts: dict[str, dict[str, str]]


def _read_toml(package_file: str, path: Path | None) -> dict[str, Any]:
    if path is not None:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    return tomllib.loads(resources.files("mailsleuth.data").joinpath(package_file).read_text(encoding="utf-8"))


def load_scores(path: Path | None = None, groups: dict[str, Group] | None = None) -> Scores:
    """Read the shipped scores, then the user's file at ``path`` on top of them."""
    data = _read_toml("scores.toml", None)
    if path is not None:
        user = _read_toml("", path)
        for section, values in user.items():
            if isinstance(values, dict):
                for key, value in values.items():
                    if isinstance(value, dict):
                        data.setdefault(section, {}).setdefault(key, {}).update(value)
                    else:
                        data.setdefault(section, {})[key] = value
    groups = groups or {}
    rules = {
        cid: Rule(cid, groups.get(cid, "structure"), float(v["weight"]), str(v["kind"]))
        for cid, v in data.get("checks", {}).items()
    }
    composites = tuple(
        Rule(cid, cast(Group, v["group"]), float(v["weight"]), str(v["kind"]), " ".join(str(v["expr"]).split()))
        for cid, v in data.get("composites", {}).items()
    )
    texts = _read_toml("explanations.toml", None)
    return Scores(
        thresholds={k: float(v) for k, v in data["thresholds"].items()},
        caps={k: float(v["cap"]) for k, v in data.get("groups", {}).items()},
        rules=rules, composites=composites,
        texts={k: {kk: str(vv) for kk, vv in v.items()} for k, v in texts.items()},
    )


def check_groups() -> dict[str, Group]:
    from .checks import all_checks

    return {cid: c.group for cid, c in all_checks().items()}


@cache
def default_scores() -> Scores:
    return load_scores(groups=check_groups())


def evaluate(expr: str, fired: set[str]) -> bool:
    """Evaluate a composite expression: ids, ``&``, ``|``, ``!`` and parentheses."""
    return compile_expr(expr)(fired)


Test = Callable[[AbstractSet[str]], bool]


@cache
def compile_expr(expr: str) -> Test:
    """``expr`` parsed once into a function of the set of fired ids (every message asks every
    composite, so the parse is not repeated per message). Raises ``ValueError`` on bad syntax."""
    tokens = _TOKEN_RE.findall(expr)
    pos = 0

    def peek() -> str:
        return tokens[pos] if pos < len(tokens) else ""

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise ValueError(f"unexpected end of {expr!r}")
        pos += 1
        return str(tokens[pos - 1])

    def atom() -> Test:
        tok = take()
        if tok == "!":
            inner = atom()
            return lambda fired: not inner(fired)
        if tok == "(":
            value = disjunction()
            if take() != ")":
                raise ValueError(f"unbalanced parentheses in {expr!r}")
            return value
        if not tok or not tok[0].isalpha():
            raise ValueError(f"unexpected {tok!r} in {expr!r}")
        return lambda fired: tok in fired

    def conjunction() -> Test:
        parts = [atom()]
        while peek() == "&":
            take()
            parts.append(atom())
        return parts[0] if len(parts) == 1 else (lambda fired: all(p(fired) for p in parts))

    def disjunction() -> Test:
        parts = [conjunction()]
        while peek() == "|":
            take()
            parts.append(conjunction())
        return parts[0] if len(parts) == 1 else (lambda fired: any(p(fired) for p in parts))

    result = disjunction()
    if pos != len(tokens):
        raise ValueError(f"trailing tokens in {expr!r}")
    return result


class _SafeDict(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


def explain(scores: Scores, check_id: str, params: dict[str, str]) -> dict[str, str]:
    text = scores.texts.get(check_id, {})
    values = _SafeDict(params)
    return {lang: text.get(lang, check_id).format_map(values) for lang in ("ja", "en")}


def apply_caps(findings: list[Finding], scores: Scores) -> float:
    """Total score with each group's points capped; findings keep their own points."""
    by_group: dict[str, float] = {}
    for f in findings:
        by_group[f.group] = by_group.get(f.group, 0.0) + f.score
    return sum(min(v, scores.caps.get(g, v)) for g, v in by_group.items())


def verdict_for(findings: list[Finding], scores: Scores) -> tuple[Verdict, float]:
    total = round(apply_caps(findings, scores), 2)
    phish = sum(f.score for f in findings if scores_kind(scores, f.id) == "phishing")
    t = scores.thresholds
    if total >= t["phishing"] and phish >= t["phishing_evidence"]:
        return "phishing", total
    if total >= t["spam"]:
        return "spam", total
    if total >= t["suspicious"]:
        return "suspicious", total
    return "clean", total


def scores_kind(scores: Scores, check_id: str) -> str:
    rule = scores.rules.get(check_id)
    if rule is not None:
        return rule.kind
    for comp in scores.composites:
        if comp.id == check_id:
            return comp.kind
    return "info"
