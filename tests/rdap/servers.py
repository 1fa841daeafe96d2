"""Recorded-answer registration servers on loopback, for tests that look up domains and IPs.

``recorded_servers()`` starts, on 127.0.0.1 with ephemeral ports:

* an RDAP server (stdlib ``http.server``) answering from the JSON files under ``http/``:
  ``/<root>/domain/<name>`` serves ``http/<root>/domain/<name>.json`` (``registry``: the
  registry's answer, ``registrar``: a registrar's), ``/<root>/ip/<address>`` serves the file
  of ``http/<root>/ip/`` whose range holds the address (``arin``), anything else is an RDAP
  404. ``{base}`` in a file becomes the server's own URL, so "related" and "self" links point
  back at it. ``/garbage/...`` answers 200 with a body that is not JSON; ``/redirect/<path>``
  redirects to ``/<path>`` and ``/redirect-ftp/<path>`` to an ftp:// URL; ``/iana/dns.json``
  (``ipv4.json``, ``ipv6.json``) serve the bootstrap files below, as data.iana.org does.
* IANA-format bootstrap files (``dns.json``, ``ipv4.json``, ``ipv6.json``) in a temporary
  ``bootstrap_dir``: ``com``, ``net`` and ``test`` -> ``/registry/``, ``104.0.0.0/8`` ->
  ``/arin/``. ``cn`` has no RDAP service, as in IANA's real file.
* a WHOIS server (port 43 protocol, ``socketserver``) answering each query line from
  ``whois/<query>.txt`` (spaces and "/" in the query become "_": ``domain_x.com.txt``,
  ``x.jp_e.txt``), ``{whois}`` in a file becoming its own address; ``huge.cn`` gets a
  1 MiB answer; anything else "No matching record.".
* a silent TCP server that accepts connections and never answers (timeouts).

Nothing here imports mailsleuth: other tests (the analyzer's ``--online`` test) reuse it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
import socket
import socketserver
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
HTTP_DIR = HERE / "http"
WHOIS_DIR = HERE / "whois"
HUGE_BYTES = 1024 * 1024
_SAFE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass
class RecordedServers:
    rdap_base: str  # "http://127.0.0.1:PORT/"
    bootstrap_dir: Path  # dns.json, ipv4.json, ipv6.json
    whois_addr: str  # "127.0.0.1:PORT"
    silent_addr: str  # "127.0.0.1:PORT": accepts, never answers
    requests: list[str] = field(default_factory=list)  # RDAP paths and WHOIS query lines, in order
    user_agents: list[str] = field(default_factory=list)  # User-Agent of each RDAP request

    @property
    def whois_servers(self) -> dict[str, str]:
        """A WHOIS server map that sends every TLD of the fixtures to the local server."""
        return {"cn": self.whois_addr, "jp": self.whois_addr, "com": self.whois_addr, "net": self.whois_addr}


# ------------------------------------------------------------------------------- RDAP over HTTP

def _ip_fixture(root: Path, addr: str) -> Path | None:
    """The fixture network that holds ``addr`` (longest match), as an RIR answers any address."""
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return None
    best: tuple[int, Path] | None = None
    for path in sorted((root / "ip").glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        start, end = ipaddress.ip_address(doc["startAddress"]), ipaddress.ip_address(doc["endAddress"])
        if start.version == ip.version and start <= ip <= end:
            size = int(end) - int(start)
            if best is None or size < best[0]:
                best = (size, path)
    return best[1] if best else None


class _RdapHandler(BaseHTTPRequestHandler):
    server_version = "recorded-rdap/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/rdap+json",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _not_found(self) -> None:
        body = json.dumps({"rdapConformance": ["rdap_level_0"], "errorCode": 404, "title": "Not Found",
                           "description": ["The requested object was not found."]}).encode()
        self._send(404, body)

    def do_GET(self) -> None:
        base: str = self.server.base  # type: ignore[attr-defined]
        self.server.log.append(self.path)  # type: ignore[attr-defined]
        self.server.agents.append(self.headers.get("User-Agent", ""))  # type: ignore[attr-defined]
        parts = [p for p in self.path.split("?", 1)[0].split("/") if p]
        if len(parts) == 2 and parts[0] == "iana" and parts[1] in ("dns.json", "ipv4.json", "ipv6.json"):
            bootstrap: Path = self.server.bootstrap_dir  # type: ignore[attr-defined]
            self._send(200, (bootstrap / parts[1]).read_bytes(), "application/json")
            return
        if parts and parts[0] == "garbage":
            self._send(200, b'{"objectClassName": "domain", "ldhName": ')
            return
        if parts and parts[0] == "redirect":
            self._send(302, b"", "text/plain", {"Location": base + "/".join(parts[1:])})
            return
        if parts and parts[0] == "redirect-ftp":
            self._send(302, b"", "text/plain", {"Location": "ftp://127.0.0.1/" + "/".join(parts[1:])})
            return
        if len(parts) != 3 or not _SAFE.match(parts[0]):
            self._not_found()
            return
        root, kind, key = HTTP_DIR / parts[0], parts[1], parts[2].lower()
        path: Path | None = None
        if kind == "domain" and _SAFE.match(key):
            path = root / "domain" / f"{key}.json"
        elif kind == "ip":
            path = _ip_fixture(root, key)
        if path is None or not path.is_file():
            self._not_found()
            return
        self._send(200, path.read_bytes().replace(b"{base}", base.encode()))


# ------------------------------------------------------------------------------- WHOIS (port 43)

class _WhoisHandler(socketserver.StreamRequestHandler):
    timeout = 5

    def handle(self) -> None:
        line = self.rfile.readline(1024).decode("utf-8", errors="replace").strip()
        self.server.log.append(line)  # type: ignore[attr-defined]
        key = re.sub(r"[ /]", "_", line.lower())
        try:
            if key == "huge.cn":
                self._huge()
                return
            path = WHOIS_DIR / f"{key}.txt"
            if _SAFE.match(key) and path.is_file():
                addr: str = self.server.addr  # type: ignore[attr-defined]
                self.wfile.write(path.read_bytes().replace(b"{whois}", addr.encode()))
            else:
                self.wfile.write(b"No matching record.\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (answer size cap): that is what it should do

    def _huge(self) -> None:
        head = (WHOIS_DIR / "revapec.cn.txt").read_bytes().replace(b"revapec.cn", b"huge.cn")
        self.wfile.write(head)
        filler = b"Remark: " + b"x" * 120 + b"\r\n"
        for _ in range(HUGE_BYTES // len(filler) + 1):
            self.wfile.write(filler)


def _quiet_errors(server: socketserver.BaseServer, request: Any, client_address: Any) -> None:
    """A client that closes a kept-alive connection (or stops reading) is no error to print."""
    if not isinstance(sys.exc_info()[1], ConnectionError):
        socketserver.BaseServer.handle_error(server, request, client_address)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    handle_error = _quiet_errors


class _WhoisServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    handle_error = _quiet_errors


# ------------------------------------------------------------------------------- silent server

@contextlib.contextmanager
def _silent_server() -> Iterator[str]:
    """Accepts TCP connections and holds them open without a byte of answer."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            held.append(conn)

    thread = threading.Thread(target=run, name="silent-server", daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        listener.close()


# ------------------------------------------------------------------------------- bootstrap files

def _bootstrap_files(directory: Path, base: str) -> None:
    def doc(kind: str, services: list[list[list[str]]]) -> str:
        return json.dumps({"description": f"RDAP bootstrap file for {kind}", "publication": "2022-03-25T00:00:00Z",
                           "services": services, "version": "1.0"}, indent=2)

    (directory / "dns.json").write_text(doc("Domain Name System registrations", [
        [["com", "net"], [base + "registry/"]],
        [["test"], [base + "registry/"]],
    ]), encoding="utf-8")
    (directory / "ipv4.json").write_text(doc("IPv4 address allocations", [
        [["104.0.0.0/8"], [base + "arin/"]],
    ]), encoding="utf-8")
    (directory / "ipv6.json").write_text(doc("IPv6 address allocations", [
        [["2600::/12"], [base + "arin/"]],
    ]), encoding="utf-8")


@contextlib.contextmanager
def recorded_servers() -> Iterator[RecordedServers]:
    """Start the recorded-answer servers; stop them and remove the bootstrap files on exit."""
    log: list[str] = []
    http = _HttpServer(("127.0.0.1", 0), _RdapHandler)
    base = f"http://127.0.0.1:{http.server_address[1]}/"
    http.base = base  # type: ignore[attr-defined]
    http.log = log  # type: ignore[attr-defined]
    agents: list[str] = []
    http.agents = agents  # type: ignore[attr-defined]
    whois = _WhoisServer(("127.0.0.1", 0), _WhoisHandler)
    whois_addr = f"127.0.0.1:{whois.server_address[1]}"
    whois.addr = whois_addr  # type: ignore[attr-defined]
    whois.log = log  # type: ignore[attr-defined]
    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
               for s in (http, whois)]
    for t in threads:
        t.start()
    try:
        with tempfile.TemporaryDirectory(prefix="rdap-bootstrap-") as tmp, _silent_server() as silent:
            _bootstrap_files(Path(tmp), base)
            http.bootstrap_dir = Path(tmp)  # type: ignore[attr-defined]
            yield RecordedServers(base, Path(tmp), whois_addr, silent, log, agents)
    finally:
        for s in (http, whois):
            s.shutdown()
            s.server_close()
        for t in threads:
            t.join(timeout=2)
