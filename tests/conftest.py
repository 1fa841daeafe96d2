"""Shared test helpers.

``../shared`` (beside the repository) holds the reference corpus; tests that need it skip
with a message when it is absent.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = Path(__file__).resolve().parent / "data"


def pytest_configure(config: pytest.Config) -> None:
    """Analyses in tests never read the developer's own feed store, config file or answer cache."""
    os.environ["MAILSLEUTH_FEEDS"] = str(ROOT / "tests" / "data" / "enrich" / "no-feed-store.sqlite")
    os.environ["MAILSLEUTH_CONFIG"] = str(DATA / "empty-config.toml")
    os.environ["MAILSLEUTH_CACHE"] = str(Path(tempfile.mkdtemp(prefix="mailsleuth-test-cache-")) / "answers.sqlite")


def pytest_unconfigure(config: pytest.Config) -> None:
    cache = os.environ.get("MAILSLEUTH_CACHE", "")
    if "mailsleuth-test-cache-" in cache:
        shutil.rmtree(Path(cache).parent, ignore_errors=True)


@pytest.fixture(scope="session")
def shared() -> Path:
    if not (SHARED / "corpus" / "labels.csv").is_file():
        pytest.skip("../shared is not beside the repository")
    return SHARED


# -- golden files: regenerate after an intended change with MAILSLEUTH_UPDATE_GOLDEN=1 pytest ...
UPDATE_GOLDEN = os.environ.get("MAILSLEUTH_UPDATE_GOLDEN") == "1"


def compare_golden(path: Path, actual: str) -> None:
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.is_file(), f"missing golden file {path.name}: run with MAILSLEUTH_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), f"{path.name} differs from its golden file"


# -- headless Chromium: Debian's executable driven by Playwright, which never downloads a browser
CHROMIUM = os.environ.get("MAILSLEUTH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def skip_without_browser() -> None:
    """Skip the calling test module when playwright or Chromium is missing."""
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("the playwright Python package is not installed (pip install playwright)",
                    allow_module_level=True)
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
