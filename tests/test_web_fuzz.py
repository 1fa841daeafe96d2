"""Schemathesis generates requests from the app's own OpenAPI schema: no answer may be a 5xx.

In-process (ASGI) against an in-memory database; few examples per operation so it stays well under a minute.
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the 'web' extra is not installed (pip install 'mailsleuth[web]')")
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from mailsleuth.web import WebSettings, create_app  # noqa: E402

schemathesis.serializer.alias("message/rfc822", "application/octet-stream")

APP = create_app(WebSettings(db_url="sqlite://", max_upload=100_000))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case: Any) -> None:
    case.call_and_validate(checks=[not_a_server_error])
