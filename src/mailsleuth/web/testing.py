"""Run the service in a child process on a free loopback port (for tests and benchmarks).

    with running_server("sqlite:////tmp/x.sqlite", token="t") as base_url:
        httpx.get(base_url + "/api/v1/health")
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from .settings import DEFAULT_MAX_UPLOAD, ENV_DB, ENV_MAX, ENV_TOKEN

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _up(url: str) -> bool:
    try:
        with _NO_PROXY.open(url + "/api/v1/health", timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def running_server(db_url: str, *, token: str | None = None, max_upload: int = DEFAULT_MAX_UPLOAD, workers: int = 1,
                   timeout: float = 60.0) -> Iterator[str]:
    """Start ``uvicorn mailsleuth.web.app:app_from_env`` on 127.0.0.1; yield its base URL; stop it."""
    port = free_port()
    env = {**os.environ, ENV_DB: db_url, ENV_MAX: str(max_upload)}
    env.pop(ENV_TOKEN, None)
    if token:
        env[ENV_TOKEN] = token
    cmd = [sys.executable, "-m", "uvicorn", "mailsleuth.web.app:app_from_env", "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-server-header",
           "--no-proxy-headers"]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while not _up(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"the server did not start:\n{log.read().decode(errors='replace')[-3000:]}")
                time.sleep(0.1)
            yield url
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)


def temp_sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'web.sqlite'}"
