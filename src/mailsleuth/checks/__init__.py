"""The checks: small functions that read the evidence and return a ``Hit`` or nothing.

Each check is registered here under a stable UPPER_SNAKE id and a group. What a hit is
worth, and the sentence that explains it in Japanese and English, live in data files
(``data/scores.toml`` and ``data/explanations.toml``), not in the code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..evidence import Evidence
from ..models import Group


@dataclass(frozen=True, slots=True)
class Hit:
    evidence: list[str]
    params: dict[str, str] = field(default_factory=dict)  # values named in the explanation
    confidence: float = 1.0


CheckFn = Callable[[Evidence], Hit | None]


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    group: Group
    fn: CheckFn


REGISTRY: dict[str, Check] = {}


def check(check_id: str, group: Group) -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        if check_id in REGISTRY:
            raise ValueError(f"check {check_id} registered twice")
        REGISTRY[check_id] = Check(check_id, group, fn)
        return fn

    return register


def all_checks() -> dict[str, Check]:
    """Every registered check, importing the modules that define them."""
    from . import (  # noqa: F401
        adtricks,
        auth,
        brandspoof,
        content,
        enrichment,
        evasion,
        formabuse,
        forwarded,
        links,
        model,
        online,
        received,
        scam,
        sender,
        spamtraits,
        structure,
    )

    return REGISTRY
