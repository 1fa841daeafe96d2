"""Shared test helpers.

``../shared`` (beside the repository) holds the reference corpus; tests that need it skip
with a message when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = Path(__file__).resolve().parent / "data"


def pytest_configure(config: pytest.Config) -> None:
    """Analyses in tests never read the developer's own feed store."""
    os.environ["MAILSLEUTH_FEEDS"] = str(ROOT / "tests" / "data" / "enrich" / "no-feed-store.sqlite")


@pytest.fixture(scope="session")
def shared() -> Path:
    if not (SHARED / "corpus" / "labels.csv").is_file():
        pytest.skip("../shared is not beside the repository")
    return SHARED
