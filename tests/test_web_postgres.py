"""The history store on a real PostgreSQL server (started here on loopback), through the
running web server: the same API calls as with SQLite."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the 'web' extra is not installed (pip install 'mailsleuth[web]')")
pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'psycopg[binary]')")

import httpx

from mailsleuth.web.testing import free_port, running_server

ROOT = Path(__file__).resolve().parents[1]
SEED = (ROOT / "examples" / "ekinet-account-deleted.eml").read_bytes()


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the 'postgres' user the package creates."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    # Not under pytest's tmp dir: that is private to root, and the server runs as 'postgres'.
    base = Path(tempfile.mkdtemp(prefix="mailsleuth-pg-"))
    data = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        base.chmod(0o700)
    port = free_port()
    try:
        subprocess.run(_as_postgres([initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]),
                       check=True, capture_output=True, timeout=120)
        opts = f"-k {base} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-o", opts, "-l", str(base / "log"), "-w", "start"]),
                       check=True, capture_output=True, timeout=120)
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr.decode(errors='replace')[-1500:]}") from exc
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"]),
                       capture_output=True, timeout=120)
        shutil.rmtree(base, ignore_errors=True)


def test_history_on_postgresql(postgres_url: str) -> None:
    with running_server(postgres_url) as url:
        posted = httpx.post(f"{url}/api/v1/analyze", content=SEED, headers={"Content-Type": "message/rfc822"},
                            timeout=60)
        assert posted.status_code == 200, posted.text
        body = posted.json()
        assert body["verdict"] == "phishing" and body["brand"]["name"] == "えきねっと"
        listed = httpx.get(f"{url}/api/v1/reports", timeout=30).json()
        items = listed["items"] if isinstance(listed, dict) else listed
        assert any(item["id"] == body["id"] for item in items)
        again = httpx.get(f"{url}/api/v1/reports/{body['id']}", params={"format": "json"}, timeout=30)
        assert again.status_code == 200 and again.json()["verdict"] == "phishing"
        assert httpx.delete(f"{url}/api/v1/reports/{body['id']}", timeout=30).status_code in (200, 204)
        assert httpx.get(f"{url}/api/v1/reports/{body['id']}", timeout=30).status_code == 404
