"""Offline by default: analysing and reporting, run in a network namespace with no route,
make no network connection attempt at all (every connect() is traced)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "ekinet-account-deleted.eml"
# connect(), sendto() or sendmsg() towards an IP address (TCP or UDP); unix sockets (AF_UNIX,
# e.g. a local log or nscd) are not network.
INET_CONNECT = re.compile(r"\b(?:connect|sendto|sendmsg)\(\d+,.*sa_family=AF_INET6?\b")


def _traced(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[bytes], str]:
    if not (shutil.which("strace") and shutil.which("unshare")):
        pytest.skip("strace and unshare are needed (apt-get install strace util-linux)")
    if os.geteuid() != 0:
        pytest.skip("a network namespace needs root")
    trace = tmp_path / "trace.txt"
    cmd = ["unshare", "--net", "strace", "-f", "-qq", "-e", "trace=%network", "-o", str(trace),
           sys.executable, "-m", "mailsleuth.cli", *args]
    env = {**os.environ, "MAILSLEUTH_FEEDS": str(tmp_path / "no-store.sqlite")}
    proc = subprocess.run(cmd, capture_output=True, timeout=300, env=env)
    return proc, trace.read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize("args", [
    ("analyze", "--format", "json"),
    ("report", "--format", "html", "--lang", "ja"),
])
def test_no_connection_attempt_offline(tmp_path: Path, args: tuple[str, ...]) -> None:
    proc, trace = _traced(tmp_path, *args, str(SEED))
    assert proc.returncode == 2, proc.stderr.decode(errors="replace")[-2000:]  # phishing, fully analysed
    assert not INET_CONNECT.findall(trace), [line for line in trace.splitlines() if INET_CONNECT.search(line)]


def test_the_trace_would_see_a_connection(tmp_path: Path) -> None:
    """The same harness catches an attempt: --online asks DNS, which must show up in the trace."""
    pytest.importorskip("dns", reason="the 'online' extra is not installed")
    proc, trace = _traced(tmp_path, "analyze", "--online", "--no-cache", "--dns-server", "192.0.2.53",
                          "--dns-timeout", "0.5", "--format", "json", str(SEED))
    assert proc.returncode in (0, 1, 2)
    assert INET_CONNECT.search(trace) and "192.0.2.53" in trace
