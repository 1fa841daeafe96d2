"""``mailsleuth serve``: a page to paste or drop a mail, and a REST API (``/api/v1``).

    from mailsleuth.web import WebSettings, create_app, serve
    app = create_app(WebSettings(db_url="sqlite:////tmp/ms.sqlite", token=None))
    serve(host="127.0.0.1", port=8025)

Needs the ``web`` extra (FastAPI, uvicorn, SQLAlchemy, python-multipart).
"""

from __future__ import annotations

from .app import create_app
from .server import serve
from .settings import UnsafeBind, WebSettings, check_bind

__all__ = ["UnsafeBind", "WebSettings", "check_bind", "create_app", "serve"]
