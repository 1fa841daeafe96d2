#!/usr/bin/env bash
# Set up a virtual environment with the test tools and run the whole test suite:
# lint (ruff), types (mypy) and tests (pytest). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
.venv/bin/ruff check src tests scripts bench
.venv/bin/mypy
.venv/bin/pytest "$@"
