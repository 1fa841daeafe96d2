"""Settings of the web service, and the rule that a token is needed off loopback."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field

from .store import default_db_url

DEFAULT_MAX_UPLOAD = 5 * 1024 * 1024
ENV_DB, ENV_TOKEN, ENV_MAX = "MAILSLEUTH_WEB_DB", "MAILSLEUTH_WEB_TOKEN", "MAILSLEUTH_WEB_MAX_UPLOAD"


@dataclass(frozen=True, slots=True)
class WebSettings:
    db_url: str = field(default_factory=default_db_url)
    token: str | None = field(default=None, repr=False)  # never printed
    max_upload: int = DEFAULT_MAX_UPLOAD

    @classmethod
    def from_env(cls) -> WebSettings:
        """What ``serve`` hands to worker processes (uvicorn starts them from an import string)."""
        return cls(db_url=os.environ.get(ENV_DB) or default_db_url(), token=os.environ.get(ENV_TOKEN) or None,
                   max_upload=int(os.environ.get(ENV_MAX) or DEFAULT_MAX_UPLOAD))


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class UnsafeBind(ValueError):
    """Binding a non-loopback address without a token."""


def check_bind(host: str, token: str | None) -> None:
    if not is_loopback(host) and not token:
        raise UnsafeBind(
            f"refusing to listen on {host}: it is reachable from other machines and no token is set. "
            "Give a token (mailsleuth serve --token-file FILE, or the MAILSLEUTH_WEB_TOKEN environment variable) "
            "so that callers must send 'Authorization: Bearer <token>', or listen on 127.0.0.1 only.")
