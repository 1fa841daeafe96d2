"""Write the API's OpenAPI schema: ``python -m mailsleuth.web.openapi [FILE]`` (default docs/openapi.json).

``--check`` exits 1 when FILE differs from what the app serves (the test suite checks this too).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .app import create_app
from .settings import WebSettings


def schema() -> dict[str, Any]:
    return create_app(WebSettings(db_url="sqlite://")).openapi()


def text() -> str:
    return json.dumps(schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    paths = [a for a in args if a != "--check"]
    path = Path(paths[0]) if paths else Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
    current = text()
    if check:
        same = path.is_file() and path.read_text(encoding="utf-8") == current
        if not same:
            print(f"{path} is out of date: run python -m mailsleuth.web.openapi", file=sys.stderr)
        return 0 if same else 1
    path.write_text(current, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
