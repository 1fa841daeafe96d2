"""A real authoritative DNS server (NLnet Labs' ``nsd``) on 127.0.0.1, for the online tests.

:func:`start_nsd` copies the zone files of this folder into a temporary directory (filling in
``${...}`` values such as the DKIM public key the test generated), writes an ``nsd.conf`` from
``nsd.conf.template`` for a free loopback port, starts ``nsd -d`` in the foreground and waits
until it answers. :meth:`NsdServer.stop` terminates it. Nothing listens beyond loopback.

This folder has no ``__init__.py`` on purpose: a package named ``dns`` would hide dnspython.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from string import Template

import dns.exception
import dns.message
import dns.query
import dns.rcode

HERE = Path(__file__).resolve().parent
ZONES = ("example-brand.test", "revapec.test", "revapec.cn", "parked.test", "5.129.104.in-addr.arpa",
         "2.0.192.in-addr.arpa", "2.0.210.in-addr.arpa")


def nsd_binary() -> str | None:
    for name in ("nsd", "/usr/sbin/nsd"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (asked of the kernel, then released)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = int(u.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free loopback port")


def closed_port() -> int:
    """A loopback UDP port with nobody listening (for the timeout test)."""
    return free_port()


def txt_strings(value: str, size: int = 200) -> str:
    """A long TXT value as several quoted character strings (each at most 255 bytes)."""
    return " ".join(f'"{value[i:i + size]}"' for i in range(0, len(value), size))


@dataclass
class NsdServer:
    port: int
    directory: Path
    process: subprocess.Popen[bytes]

    @property
    def spec(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log(self) -> str:
        path = self.directory / "nsd.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Terminate nsd and reap its worker processes.

        nsd forks twice; when its main process ends, the workers are orphaned. Where the
        container's PID 1 does not reap orphans they would stay as zombies, so while stopping
        this process becomes their "subreaper" (Linux) and waits for exactly those pids."""
        if self.process.poll() is not None:
            return
        workers = _descendants(self.process.pid)
        subreaper = _set_subreaper(True)
        try:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
            if subreaper:
                deadline = time.monotonic() + 5
                pending = set(workers)
                while pending and time.monotonic() < deadline:
                    for pid in list(pending):
                        try:
                            done, _ = os.waitpid(pid, os.WNOHANG)
                        except ChildProcessError:  # not ours (reaped elsewhere, or never reparented)
                            done = pid
                        if done:
                            pending.discard(pid)
                    time.sleep(0.02)
        finally:
            if subreaper:
                _set_subreaper(False)


def _descendants(pid: int) -> list[int]:
    out: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        out.extend(int(k) for k in kids)
        todo.extend(int(k) for k in kids)
    return out


def _set_subreaper(on: bool) -> bool:
    """prctl(PR_SET_CHILD_SUBREAPER); False where it is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(36, 1 if on else 0, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _answers(port: int, zone: str) -> bool:
    q = dns.message.make_query(zone + ".", "SOA")
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=0.5)
    except (dns.exception.DNSException, OSError):
        return False
    return r.rcode() == dns.rcode.NOERROR and bool(r.answer)


def start_nsd(directory: Path, values: dict[str, str]) -> NsdServer:
    """Start nsd serving this folder's zones (with ``values`` substituted) from ``directory``."""
    binary = nsd_binary()
    if binary is None:
        raise FileNotFoundError("nsd is not installed (apt-get install nsd)")
    directory.mkdir(parents=True, exist_ok=True)
    for zone in ZONES:
        text = (HERE / f"{zone}.zone").read_text()
        (directory / f"{zone}.zone").write_text(Template(text).safe_substitute(values))
    zones = "\n".join(f'zone:\n    name: "{z}"\n    zonefile: "{z}.zone"\n' for z in ZONES)
    last_error = ""
    for _ in range(3):  # a port taken between free_port() and nsd's bind: try another
        port = free_port()
        conf = Template((HERE / "nsd.conf.template").read_text()).substitute(
            port=port, dir=str(directory), zones=zones)
        (directory / "nsd.conf").write_text(conf)
        check = subprocess.run([binary + "-checkconf" if Path(binary + "-checkconf").exists() else "true",
                                str(directory / "nsd.conf")], capture_output=True, text=True, check=False)
        if check.returncode != 0:
            raise RuntimeError(f"nsd-checkconf: {check.stdout}{check.stderr}")
        proc = subprocess.Popen([binary, "-d", "-c", str(directory / "nsd.conf")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        server = NsdServer(port, directory, proc)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            if all(_answers(port, z) for z in ZONES):
                return server
            time.sleep(0.05)
        server.stop()
        err = b""
        if proc.stderr is not None:
            with contextlib.suppress(OSError, ValueError):
                err = proc.stderr.read()
        last_error = err.decode(errors="replace") + server.log()
    raise RuntimeError(f"nsd did not start: {last_error}")
