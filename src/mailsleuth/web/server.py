"""``serve``: run the web service with uvicorn."""

from __future__ import annotations

import os

from .settings import DEFAULT_MAX_UPLOAD, ENV_DB, ENV_MAX, ENV_TOKEN, WebSettings, check_bind
from .store import default_db_url


def serve(host: str = "127.0.0.1", port: int = 8025, workers: int = 1, db_url: str | None = None,
          token: str | None = None, max_upload: int = DEFAULT_MAX_UPLOAD, log_level: str = "info") -> None:
    """Serve the page and the API until interrupted. Raises ``UnsafeBind`` for a non-loopback
    ``host`` without a ``token``."""
    import uvicorn

    token = token or os.environ.get(ENV_TOKEN) or None
    check_bind(host, token)
    settings = WebSettings(db_url=db_url or default_db_url(), token=token, max_upload=max_upload)
    if workers <= 1:
        from .app import create_app

        uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, proxy_headers=False,
                    server_header=False)
        return
    # Several processes: uvicorn imports the app in each, so the settings go through the environment.
    os.environ[ENV_DB] = settings.db_url
    os.environ[ENV_MAX] = str(settings.max_upload)
    if token:
        os.environ[ENV_TOKEN] = token
    uvicorn.run("mailsleuth.web.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, proxy_headers=False, server_header=False)
