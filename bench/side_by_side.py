"""SpamAssassin, rspamd and mailsleuth on the same mail files, side by side, in one table.

    python bench/side_by_side.py [FOLDER] [--labels CSV] [--every K] [--limit N] [--jobs N]
                                 [--timeout S] [--tools spamassassin,rspamd,mailsleuth] [--json OUT]

Which files: FOLDER (default ../shared/corpus beside the repo) read recursively (every regular file
but *.csv, *.md, LICENSE* and hidden ones), or, with --labels, exactly the rows of that CSV (columns
path,label,source[,brand]; paths relative to FOLDER). --every K keeps every K-th file (on
labels.csv, which is grouped by source, that is a stratified sample), then --limit N the first N.

How: the three tools run one after the other on the same files, each with --jobs (default 2)
messages in flight, so the speeds compare like for like. Missing tools are installed with apt-get
(Debian packages spamassassin, spamd, spamc, rspamd) when running as root; the command is printed.
Everything stays on this machine: both servers listen on 127.0.0.1 only, on free ports, with all
their state in a temporary directory that is removed at the end (also after Ctrl-C or an error).

SpamAssassin (spamd + spamc) -- flagged: score >= 5.0, the default required_score.
  * spamd -L (--local: no network tests at all: no DNSBL/URIBL, SPF, DKIM keys, Razor, Pyzor,
    DCC), on 127.0.0.1:<free port>, --min-children = --max-children = --jobs, -x (no user config).
  * rules: the release rules shipped in the package (/usr/share/spamassassin), never an sa-update
    download. Site config: a fresh temporary copy of /etc/spamassassin/*.pre and *.cf (not
    local.cf) plus our local.cf: use_bayes 0, bayes_auto_learn 0, dns_available no,
    skip_rbl_checks 1, required_score 5, dns_server = the DNS stub below. So no Bayes or
    auto-whitelist state exists, is used or is learned: results are reproducible.
  * each message goes through `spamc -R -x`: the report (score and rule names); -x makes a
    failure an error instead of spamc's silent "0/0". The size limit is raised to 32 MB so that no
    message is passed through unscanned.

rspamd -- flagged: score >= 4 (the default "greylist" threshold: probable spam; "add header" is 6
  and "reject" 15). The action rspamd returns is recorded, and a second column gives the share
  whose action is "add header" or worse.
  * started with bench/rspamd/rspamd.conf: the packaged rules, scores and modules
    ($CONFDIR/common.conf), LOCAL_CONFDIR = bench/rspamd (its local.d/ and override.d/),
    DBDIR/RUNDIR/LOGDIR in the temporary directory; the normal worker (--jobs processes) and the
    controller bound to 127.0.0.1 on free ports; no proxy, no fuzzy storage worker.
  * off, because they need the network or redis: rbl (every DNS block/allow list, incl. SURBL and
    URIBL), spf, dkim, dmarc, arc, asn, fuzzy_check, dcc, external_services (Razor, Pyzor),
    antivirus, the phishtank/openphish feeds of the phishing module (its local link-text check
    stays), mx_check, greylist, ratelimit, neural, replies, reputation, history_redis,
    url_redirector, bimi, p0f, spamtrap, the exporters, rspamd_update, whitelist (acts on
    SPF/DKIM/DMARC results only), dkim_signing, Bayes (redis backend without a server), and
    hfilter's HELO/hostname/from-host checks (they need the SMTP session, which a stored mail has
    not: without it every message would get HFILTER_HOSTNAME_UNKNOWN, or DNS). Two symbols are
    scored 0 (local.d/headers_group.conf): DATE_IN_PAST compares Date with the time of the scan,
    so replaying archived mail would add +1 to nearly every message; RDNS_NONE comes from a live
    PTR lookup that always fails offline and would add +1 whatever the real reverse DNS was.
  * DNS: the only resolver is a stub in this script on 127.0.0.1 that answers every query at once
    with REFUSED and counts them. What still asks (once_received's PTR lookup of the sender IP
    rspamd takes from Received; downloads of maps.rspamd.com lists, whose packaged copies are used
    instead) fails at once, scores nothing (RDNS_DNSFAIL and RDNS_NONE = 0) and never waits.
  * each message is POSTed to http://127.0.0.1:<port>/checkv2 as is, without envelope headers.

mailsleuth -- flagged: verdict "phishing" or "spam"; the share "phishing" is shown apart.
  * mailsleuth.analyze(bytes) in a multiprocessing pool of --jobs workers, its data loaded before
    the clock starts (the servers' start-up is not timed either).

Speed: wall-clock for all selected files with --jobs in flight, start-up excluded; ms/message is
the latency of one message as seen by the client (spamc, HTTP) or the worker (mailsleuth).
A message a tool fails or times out on (--timeout, default 30 s) is an error: it stays in n, is
not flagged, and the table shows the error count next to the percentage.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import csv
import datetime as dt
import grp
import json
import math
import multiprocessing as mp
import os
import platform
import pwd
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RSPAMD_CONF_DIR = Path(__file__).resolve().parent / "rspamd"
DEFAULT_FOLDER = "../shared/corpus"  # relative to the repo root

TOOLS = ("spamassassin", "rspamd", "mailsleuth")
BINARIES = {"spamassassin": ("spamd", "spamc"), "rspamd": ("rspamd",)}
APT_PACKAGES = {"spamassassin": ("spamassassin", "spamd", "spamc"), "rspamd": ("rspamd",)}

SA_THRESHOLD = 5.0
SA_RULES_DIR = Path("/usr/share/spamassassin")
SA_SITE_DIR = Path("/etc/spamassassin")
SPAMC_MAX_SIZE = 32 * 1024 * 1024
RSPAMD_THRESHOLD = 4.0
RSPAMD_ADD_HEADER_OR_WORSE = {"add header", "rewrite subject", "reject"}
MAILSLEUTH_FLAGGED = {"phishing", "spam"}
START_TIMEOUT = 180.0  # seconds a server may take to load its rules
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via an http_proxy


# --------------------------------------------------------------------------- files and results


@dataclass(frozen=True)
class Item:
    rel: str
    path: Path
    source: str
    label: str


@dataclass
class Outcome:
    """One tool on one message. flagged is None when the tool failed on it (error is then set)."""

    flagged: bool | None = None
    score: float | None = None
    seconds: float = 0.0
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class ToolRun:
    name: str
    outcomes: list[Outcome]
    wall: float = 0.0
    startup: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)


def select_items(folder: Path, labels: Path | None, every: int, limit: int) -> list[Item]:
    if labels is not None:
        with labels.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        items = [Item(r["path"], folder / r["path"], r.get("source") or "-", r.get("label") or "-") for r in rows]
    else:
        skip = re.compile(r"(^\.|^LICENSE|\.csv$|\.md$)", re.IGNORECASE)
        files = sorted(p for p in folder.rglob("*") if p.is_file() and not skip.search(p.name))
        items = [Item(str(p.relative_to(folder)), p, "all", "") for p in files]
    items = items[:: max(every, 1)]
    return items[:limit] if limit else items


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def progress(results: Iterable[Outcome], total: int, name: str) -> Iterator[Outcome]:
    """Pass results through, printing a line to stderr every ~5 %."""
    step, start = max(total // 20, 1), time.perf_counter()
    for i, outcome in enumerate(results, 1):
        if i % step == 0 or i == total:
            rate = i / max(time.perf_counter() - start, 1e-9)
            print(f"  [{name}] {i}/{total}  {rate:.1f} msg/s", file=sys.stderr, flush=True)
        yield outcome


Scan = Callable[[Item], Outcome]


def scan_threaded(items: Sequence[Item], jobs: int, scan: Scan, name: str) -> tuple[list[Outcome], float]:
    """Run scan() on every item with `jobs` in flight; returns outcomes in item order and wall seconds."""

    def one(item: Item) -> Outcome:
        start = time.perf_counter()
        try:
            outcome = scan(item)
        except Exception as exc:
            outcome = Outcome(error=error_text(exc))
        outcome.seconds = time.perf_counter() - start
        return outcome

    pool = ThreadPoolExecutor(max_workers=jobs)
    start = time.perf_counter()
    try:
        outcomes = list(progress(pool.map(one, items), len(items), name))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return outcomes, time.perf_counter() - start


# --------------------------------------------------------------------------- processes and helpers


def find_binary(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")


def ensure_installed(tools: Sequence[str]) -> None:
    """apt-get install the Debian packages of any tool whose binaries are missing (root only)."""
    packages = [pkg for tool in tools if any(find_binary(b) is None for b in BINARIES.get(tool, ()))
                for pkg in APT_PACKAGES[tool]]
    if not packages:
        return
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(f"missing {', '.join(packages)}: install with `sudo {' '.join(cmd)}`", file=sys.stderr)
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"+ {' '.join(cmd)}", file=sys.stderr, flush=True)
    if subprocess.run(cmd, env=env, stdout=sys.stderr).returncode != 0:
        print("+ apt-get update", file=sys.stderr, flush=True)
        subprocess.run(["apt-get", "update"], env=env, stdout=sys.stderr)
        print(f"+ {' '.join(cmd)}", file=sys.stderr, flush=True)
        subprocess.run(cmd, env=env, stdout=sys.stderr)


def free_ports(n: int) -> list[int]:
    """n distinct free TCP ports on 127.0.0.1 (held open together so they differ)."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def drop_user(preferred: str) -> tuple[str, str] | None:
    """(user, group) for a server started by root, which both spamd and rspamd refuse to stay."""
    if os.geteuid() != 0:
        return None
    for name in (preferred, "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return name, grp.getgrgid(entry.pw_gid).gr_name
    return None


def give_to(path: Path, user: tuple[str, str] | None) -> None:
    path.chmod(0o755)
    if user is not None:
        shutil.chown(path, user[0], user[1])


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server we started, then SIGKILL its own process group if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def wait_until(ready: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{tail(log)}")
        if ready():
            return
        time.sleep(0.5)
    raise RuntimeError(f"{what} not ready after {START_TIMEOUT:.0f} s:\n{tail(log)}")


def tool_version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "?"
    match = re.search(r"version (\S+)", out)
    return match.group(1) if match else "?"


class DnsStub:
    """A DNS 'server' on 127.0.0.1 (UDP) that answers every query at once with REFUSED.

    The tools' only resolver: nothing leaves the machine, no lookup waits for a timeout, and the
    queries that still happen are counted (by the last two labels of the name).
    """

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.names: collections.Counter[str] = collections.Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> DnsStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()

    @property
    def queries(self) -> int:
        return sum(self.names.values())

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                query, addr = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            reply, name = self.refused(query)
            if reply:
                self.names[".".join(name.split(".")[-2:])] += 1
                with contextlib.suppress(OSError):
                    self.sock.sendto(reply, addr)

    @staticmethod
    def refused(query: bytes) -> tuple[bytes, str]:
        """The REFUSED answer to a query (header + its first question) and the queried name."""
        if len(query) < 17:
            return b"", ""
        pos, labels = 12, []
        while pos < len(query) and query[pos] != 0:
            labels.append(query[pos + 1: pos + 1 + query[pos]].decode("ascii", "replace"))
            pos += query[pos] + 1
        end = pos + 5  # the zero byte, QTYPE, QCLASS
        if end > len(query):
            return b"", ""
        flags = int.from_bytes(query[2:4], "big")
        answer_flags = 0x8000 | (flags & 0x7900) | 0x0080 | 5  # QR, opcode+RD copied, RA, RCODE=REFUSED
        header = query[:2] + answer_flags.to_bytes(2, "big") + (1).to_bytes(2, "big") + bytes(6)
        return header + query[12:end], ".".join(labels)


# --------------------------------------------------------------------------- SpamAssassin


SA_LOCAL_CF = """\
# written by bench/side_by_side.py: local tests only, no Bayes, no auto-whitelist, no DNS
required_score 5
use_bayes 0
bayes_auto_learn 0
skip_rbl_checks 1
dns_available no
dns_server 127.0.0.1:{dns_port}
ifplugin Mail::SpamAssassin::Plugin::AWL
use_auto_whitelist 0
endif
ifplugin Mail::SpamAssassin::Plugin::TxRep
use_txrep 0
endif
"""


def write_sa_site_config(site: Path, dns_port: int) -> None:
    site.mkdir()
    for cfg in sorted(SA_SITE_DIR.glob("*.pre")) + sorted(SA_SITE_DIR.glob("*.cf")):
        if cfg.name != "local.cf":
            shutil.copy(cfg, site / cfg.name)
    (site / "local.cf").write_text(SA_LOCAL_CF.format(dns_port=dns_port))


def spamc_cmd(port: int, timeout: float, *extra: str) -> list[str]:
    spamc = find_binary("spamc") or "spamc"
    return [spamc, "-d", "127.0.0.1", "-p", str(port), "-t", str(int(timeout)), *extra]


@contextlib.contextmanager
def spamd_server(tmp: Path, jobs: int, timeout: float, dns: DnsStub) -> Iterator[int]:
    """Start spamd on 127.0.0.1 (local tests only, fresh config); yield its port; always stop it."""
    spamd = find_binary("spamd")
    if spamd is None:
        raise RuntimeError("spamd is not installed (Debian package: spamd)")
    user = drop_user("debian-spamd")
    base, home, log = tmp / "spamassassin", tmp / "spamassassin" / "home", tmp / "spamassassin" / "spamd.log"
    base.mkdir()
    home.mkdir()
    write_sa_site_config(base / "site", dns.port)
    for path in (base, home, base / "site"):
        give_to(path, user)
    (port,) = free_ports(1)
    cmd = [spamd, "-L", "-x", f"--listen=127.0.0.1:{port}", "--allowed-ips=127.0.0.1",
           f"--min-children={jobs}", f"--max-children={jobs}", f"--timeout-child={int(timeout) + 30}",
           f"--siteconfigpath={base / 'site'}", f"--helper-home-dir={home}", f"--syslog={log}"]
    if SA_RULES_DIR.is_dir():
        cmd.append(f"--configpath={SA_RULES_DIR}")
    if user is not None:
        cmd += ["-u", user[0], "-g", user[1]]
    print(f"+ {' '.join(cmd)}", file=sys.stderr, flush=True)
    with (base / "stdout.log").open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        ping = spamc_cmd(port, 5, "-K")
        wait_until(lambda: subprocess.run(ping, capture_output=True).returncode == 0, proc, log, "spamd")
        yield port
    finally:
        stop_process(proc)


SA_RULE_LINE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s", re.MULTILINE)


def spamc_check(item: Item, port: int, timeout: float) -> Outcome:
    cmd = spamc_cmd(port, timeout, "-R", "-x", "-s", str(SPAMC_MAX_SIZE))
    with item.path.open("rb") as fh:
        proc = subprocess.run(cmd, stdin=fh, capture_output=True, timeout=timeout + 10)
    out = proc.stdout.decode("utf-8", "replace")
    first = out.split("\n", 1)[0].strip()
    match = re.fullmatch(r"(-?[\d.]+)/(-?[\d.]+)", first)
    if proc.returncode not in (0, 1) or match is None:
        err = proc.stderr.decode("utf-8", "replace").strip() or first or "no output"
        raise RuntimeError(f"spamc exit {proc.returncode}: {err[:200]}")
    score = float(match.group(1))
    rules = [name for _pts, name in SA_RULE_LINE.findall(out.split("\n", 1)[-1])]
    return Outcome(flagged=score >= SA_THRESHOLD, score=score,
                   detail={"required": float(match.group(2)), "rules": rules})


def run_spamassassin(items: Sequence[Item], jobs: int, timeout: float, tmp: Path) -> ToolRun:
    run = ToolRun("spamassassin", [], info={"version": VERSIONS["spamassassin"]()})
    start = time.perf_counter()
    with DnsStub() as dns, spamd_server(tmp, jobs, timeout, dns) as port:
        run.startup = time.perf_counter() - start
        run.outcomes, run.wall = scan_threaded(items, jobs, lambda it: spamc_check(it, port, timeout), run.name)
    run.info["dns_queries"] = dns.queries
    run.info["dns_names"] = dict(dns.names.most_common(10))
    return run


# --------------------------------------------------------------------------- rspamd


def rspamd_pong(port: int) -> bool:
    try:
        with NO_PROXY.open(f"http://127.0.0.1:{port}/ping", timeout=2) as resp:
            return bool(resp.read().strip() == b"pong")
    except OSError:
        return False


def hyperscan_loaded(log: Path, jobs: int) -> bool:
    """Every normal worker has loaded the compiled hyperscan database (or this build has none)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    if "hyperscan" not in text:
        return True
    loaded = re.findall(r"#(\d+)\(normal\).*hyperscan database of \d+ regexps has been loaded", text)
    return len(set(loaded)) >= jobs


@contextlib.contextmanager
def rspamd_server(tmp: Path, jobs: int, dns: DnsStub) -> Iterator[int]:
    """Start rspamd with bench/rspamd/rspamd.conf on 127.0.0.1; yield the normal worker's port; stop it."""
    rspamd = find_binary("rspamd")
    if rspamd is None:
        raise RuntimeError("rspamd is not installed (Debian package: rspamd)")
    user = drop_user("_rspamd")
    state = tmp / "rspamd"
    state.mkdir()
    give_to(state, user)
    (state / "bench-worker-normal.inc").write_text(f"count = {jobs};\n")
    normal, controller = free_ports(2)
    variables = {"LOCAL_CONFDIR": RSPAMD_CONF_DIR, "DBDIR": state, "RUNDIR": state, "LOGDIR": state,
                 "BENCH_NORMAL_PORT": normal, "BENCH_CONTROLLER_PORT": controller, "BENCH_DNS_PORT": dns.port}
    cmd = [rspamd, "-f", "-c", str(RSPAMD_CONF_DIR / "rspamd.conf"), *(f"--var={k}={v}" for k, v in variables.items())]
    if user is not None:
        cmd += ["-u", user[0], "-g", user[1]]
    print(f"+ {' '.join(cmd)}", file=sys.stderr, flush=True)
    log = state / "rspamd.log"
    with (state / "stdout.log").open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        wait_until(lambda: rspamd_pong(normal), proc, log, "rspamd")
        try:  # until then the workers match with PCRE: slower, same results
            wait_until(lambda: hyperscan_loaded(log, jobs), proc, log, "rspamd's hyperscan database")
        except RuntimeError as exc:
            if proc.poll() is not None:
                raise
            print(f"!! {exc.args[0].splitlines()[0]}: timing without it", file=sys.stderr)
        yield normal
    finally:
        stop_process(proc)


def rspamd_check(item: Item, port: int, timeout: float) -> Outcome:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/checkv2", data=item.path.read_bytes(), method="POST")
    with NO_PROXY.open(request, timeout=timeout) as resp:
        reply = json.load(resp)
    if "error" in reply or "score" not in reply:
        raise RuntimeError(f"rspamd: {reply.get('error', 'no score in reply')}")
    score, action = float(reply["score"]), str(reply.get("action", "?"))
    symbols = {name: round(float(sym.get("score", 0.0)), 2) for name, sym in reply.get("symbols", {}).items()}
    # is_skipped: a pre-result (e.g. GTUBE -> reject) decided before the rules ran; score and action are set
    return Outcome(flagged=score >= RSPAMD_THRESHOLD, score=score,
                   detail={"action": action, "add_header_or_worse": action in RSPAMD_ADD_HEADER_OR_WORSE,
                           "skipped": bool(reply.get("is_skipped")), "symbols": symbols})


def run_rspamd(items: Sequence[Item], jobs: int, timeout: float, tmp: Path) -> ToolRun:
    run = ToolRun("rspamd", [], info={"version": VERSIONS["rspamd"]()})
    start = time.perf_counter()
    with DnsStub() as dns, rspamd_server(tmp, jobs, dns) as port:
        rspamd_check(items[0], port, timeout)  # warm-up, not timed
        run.startup = time.perf_counter() - start
        queries_before = dns.queries
        run.outcomes, run.wall = scan_threaded(items, jobs, lambda it: rspamd_check(it, port, timeout), run.name)
        run.info["dns_queries"] = dns.queries - queries_before
        run.info["dns_names"] = dict(dns.names.most_common(10))
    return run


# --------------------------------------------------------------------------- mailsleuth


def _ms_init(barrier: Any, timeout: int) -> None:
    """Pool worker start: load mailsleuth's data, arm the per-message alarm, then wait for all."""
    import mailsleuth

    def on_alarm(_sig: int, _frame: object) -> None:
        raise TimeoutError(f"mailsleuth took more than {timeout} s")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # Pool.terminate() must end the worker
    mailsleuth.analyze(b"From: a@example.com\r\nSubject: warm-up\r\n\r\nhello\r\n")
    globals()["_MS_TIMEOUT"] = timeout
    barrier.wait()


def _ms_scan(path: str) -> dict[str, Any]:
    import mailsleuth

    start = time.perf_counter()
    signal.alarm(globals().get("_MS_TIMEOUT", 30))
    try:
        report = mailsleuth.analyze(Path(path).read_bytes())
    finally:
        signal.alarm(0)
    return {"seconds": time.perf_counter() - start, "verdict": str(report.verdict), "score": float(report.score),
            "findings": [f.id for f in report.findings]}


def import_mailsleuth() -> str:
    """mailsleuth's version; falls back to the repo's src/ when the package is not installed."""
    try:
        import mailsleuth
    except ImportError:
        sys.path.insert(0, str(ROOT / "src"))
        import mailsleuth  # if this fails too: pip install -e . in the repo
    return str(mailsleuth.__version__)


def run_mailsleuth(items: Sequence[Item], jobs: int, timeout: float, tmp: Path) -> ToolRun:
    run = ToolRun("mailsleuth", [], info={"version": VERSIONS["mailsleuth"]()})
    start = time.perf_counter()
    barrier = mp.Barrier(jobs + 1)
    with mp.Pool(jobs, initializer=_ms_init, initargs=(barrier, int(timeout))) as pool:
        barrier.wait(timeout=START_TIMEOUT)
        run.startup = time.perf_counter() - start
        begin = time.perf_counter()
        pending = [pool.apply_async(_ms_scan, (str(item.path),)) for item in items]
        run.outcomes = list(progress((ms_outcome(p, timeout) for p in pending), len(items), run.name))
        run.wall = time.perf_counter() - begin
    return run


def ms_outcome(pending: Any, timeout: float) -> Outcome:
    try:
        res = pending.get(timeout=timeout + 30)
    except Exception as exc:
        return Outcome(error=error_text(exc))
    verdict = res["verdict"]
    return Outcome(flagged=verdict in MAILSLEUTH_FLAGGED, score=res["score"], seconds=res["seconds"],
                   detail={"verdict": verdict, "phishing": verdict == "phishing", "findings": res["findings"]})


VERSIONS: dict[str, Callable[[], str]] = {
    "spamassassin": lambda: tool_version([find_binary("spamd") or "spamd", "--version"]),
    "rspamd": lambda: tool_version([find_binary("rspamd") or "rspamd", "--version"]),
    "mailsleuth": import_mailsleuth,
}

RUNNERS: dict[str, Callable[[Sequence[Item], int, float, Path], ToolRun]] = {
    "spamassassin": run_spamassassin,
    "rspamd": run_rspamd,
    "mailsleuth": run_mailsleuth,
}


def version_of(name: str) -> str:
    try:
        return VERSIONS[name]()
    except Exception:
        return "?"


def run_tool(name: str, items: Sequence[Item], jobs: int, timeout: float) -> ToolRun:
    """One tool on all items. If it cannot even start, every message is an error for it."""
    print(f"\n== {name}: {len(items)} messages, {jobs} in flight", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix=f"side-{name}-") as tmp:
        Path(tmp).chmod(0o755)  # servers drop root: their user must reach their state below
        try:
            return RUNNERS[name](items, jobs, timeout, Path(tmp))
        except Exception as exc:
            print(f"!! {name} failed: {error_text(exc)}", file=sys.stderr, flush=True)
            return ToolRun(name, [Outcome(error=f"tool failed: {error_text(exc)}") for _ in items],
                           info={"version": version_of(name), "failure": str(exc)})


# --------------------------------------------------------------------------- tables


@dataclass
class Column:
    title: str
    tool: str
    hit: Callable[[Outcome], bool]


COLUMNS = [
    Column("SpamAssassin ≥5", "spamassassin", lambda o: bool(o.flagged)),
    Column("rspamd ≥4", "rspamd", lambda o: bool(o.flagged)),
    Column("rspamd add header+", "rspamd", lambda o: bool(o.detail.get("add_header_or_worse"))),
    Column("mailsleuth phishing/spam", "mailsleuth", lambda o: bool(o.flagged)),
    Column("mailsleuth phishing", "mailsleuth", lambda o: bool(o.detail.get("phishing"))),
]


def groups_of(items: Sequence[Item]) -> dict[tuple[str, str], list[int]]:
    groups: dict[tuple[str, str], list[int]] = {}
    for i, item in enumerate(items):
        groups.setdefault((item.source, item.label), []).append(i)
    if len(groups) > 1 or ("all", "") not in groups:
        groups[("all", "")] = list(range(len(items)))
    return groups


def cell(outcomes: Sequence[Outcome], idx: Sequence[int], hit: Callable[[Outcome], bool]) -> tuple[str, int, int]:
    hits = sum(1 for i in idx if hit(outcomes[i]))
    errors = sum(1 for i in idx if outcomes[i].error is not None)
    text = f"{100 * hits / len(idx):.1f} %"
    return (f"{text} ({errors} error{'s' if errors > 1 else ''})" if errors else text), hits, errors


def flag_table(items: Sequence[Item], runs: dict[str, ToolRun]) -> tuple[str, list[dict[str, Any]]]:
    columns = [c for c in COLUMNS if c.tool in runs]
    lines = ["| source | label | n | " + " | ".join(c.title for c in columns) + " |",
             "|---|---|---:|" + "---:|" * len(columns)]
    rows: list[dict[str, Any]] = []
    for (source, label), idx in groups_of(items).items():
        row: dict[str, Any] = {"source": source, "label": label, "n": len(idx)}
        cells = []
        for c in columns:
            text, hits, errors = cell(runs[c.tool].outcomes, idx, c.hit)
            cells.append(text)
            row[c.title] = {"hits": hits, "errors": errors, "percent": round(100 * hits / len(idx), 2)}
        name = f"**{source}**" if (source, label) == ("all", "") else source
        lines.append(f"| {name} | {label} | {len(idx)} | " + " | ".join(cells) + " |")
        rows.append(row)
    return "\n".join(lines), rows


def speed_table(runs: dict[str, ToolRun], jobs: int) -> tuple[str, list[dict[str, Any]]]:
    lines = [f"| tool | messages | errors | start-up s | wall s ({jobs} in flight) | messages/s | median ms/msg "
             "| p95 ms/msg |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    rows = []
    for run in runs.values():
        times = sorted(o.seconds * 1000 for o in run.outcomes if o.error is None)
        errors = sum(1 for o in run.outcomes if o.error is not None)
        row = {"tool": run.name, "messages": len(run.outcomes), "errors": errors, "startup_s": round(run.startup, 1),
               "wall_s": round(run.wall, 1), "msg_per_s": round(len(run.outcomes) / run.wall, 1) if run.wall else 0.0,
               "median_ms": round(statistics.median(times), 1) if times else None,
               "p95_ms": round(times[math.ceil(0.95 * len(times)) - 1], 1) if times else None}
        rows.append(row)
        lines.append("| " + " | ".join(str(row[k]) if row[k] is not None else "-" for k in row) + " |")
    return "\n".join(lines), rows


def error_notes(items: Sequence[Item], runs: dict[str, ToolRun], show: int = 5) -> list[str]:
    notes = []
    for run in runs.values():
        failed = [(items[i].rel, o.error) for i, o in enumerate(run.outcomes) if o.error is not None]
        for rel, err in failed[:show]:
            notes.append(f"- {run.name} error on `{rel}`: {err}")
        if len(failed) > show:
            notes.append(f"- {run.name}: {len(failed) - show} more errors (see --json)")
    return notes


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("folder", nargs="?", default=DEFAULT_FOLDER, help=f"mail folder (default {DEFAULT_FOLDER})")
    ap.add_argument("--labels", type=Path, help="CSV with path,label,source: scan exactly these files, table by them")
    ap.add_argument("--every", type=int, default=1, help="keep every K-th file (stratified sample)")
    ap.add_argument("--limit", type=int, default=0, help="then keep the first N files (0: all)")
    ap.add_argument("--jobs", type=int, default=2, help="messages in flight per tool (default 2)")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per message before it is an error")
    ap.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated subset of {','.join(TOOLS)}")
    ap.add_argument("--json", type=Path, help="write the tables and every per-message result here")
    args = ap.parse_args(argv)
    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    if unknown := set(args.tools) - set(TOOLS):
        ap.error(f"unknown tools: {', '.join(sorted(unknown))}")
    return args


def interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    for sig in (signal.SIGINT, signal.SIGTERM):  # both unwind through the finally blocks that stop the servers
        signal.signal(sig, interrupt)
    folder = Path(args.folder)
    if not folder.is_absolute() and not folder.exists():
        folder = ROOT / folder  # relative to the repo root when not found from the working directory
    items = select_items(folder, args.labels, args.every, args.limit)
    if not items:
        print(f"no files under {args.folder}", file=sys.stderr)
        return 2
    ensure_installed(args.tools)
    started = dt.datetime.now(dt.UTC)
    runs = {name: run_tool(name, items, args.jobs, args.timeout) for name in args.tools}

    sample = f", every {args.every}th file" if args.every > 1 else ""
    sample += f", first {args.limit}" if args.limit else ""
    versions = ", ".join(f"{r.name} {r.info.get('version', '?')}" for r in runs.values())
    flags, flag_rows = flag_table(items, runs)
    speed, speed_rows = speed_table(runs, args.jobs)
    dns = [f"{r.name} {r.info['dns_queries']}" for r in runs.values() if "dns_queries" in r.info]
    out = [f"side_by_side {started:%Y-%m-%d %H:%M} UTC: {len(items)} messages from {args.folder}"
           f"{f' (labels {args.labels})' if args.labels else ''}{sample}; {args.jobs} in flight per tool; "
           f"{os.cpu_count()} CPUs; Python {platform.python_version()}",
           f"versions: {versions}", "",
           "Share of messages flagged (SpamAssassin: score ≥ 5; rspamd: score ≥ 4, and action add header or worse; "
           "mailsleuth: verdict phishing or spam, and phishing alone). Errors stay in n, unflagged.", "",
           flags, "", "Speed: wall-clock over the same files, same concurrency; ms/msg is per-message latency.", "",
           speed]
    if dns:
        out += ["", f"DNS queries answered REFUSED by the loopback stub during the scan: {', '.join(dns)}"]
    if notes := error_notes(items, runs):
        out += ["", *notes]
    print("\n".join(out))

    if args.json:
        write_json(args, started, items, runs, flag_rows, speed_rows)
    return 0


def write_json(args: argparse.Namespace, started: dt.datetime, items: Sequence[Item], runs: dict[str, ToolRun],
               flag_rows: list[dict[str, Any]], speed_rows: list[dict[str, Any]]) -> None:
    messages = []
    for i, item in enumerate(items):
        entry: dict[str, Any] = {"path": item.rel, "source": item.source, "label": item.label}
        for run in runs.values():
            o = run.outcomes[i]
            entry[run.name] = {"flagged": o.flagged, "score": o.score, "ms": round(o.seconds * 1000, 1),
                               "error": o.error, **o.detail}
        messages.append(entry)
    doc = {"date": started.isoformat(timespec="seconds"), "argv": sys.argv[1:], "folder": args.folder,
           "labels": str(args.labels) if args.labels else None, "every": args.every, "limit": args.limit,
           "jobs": args.jobs, "timeout_s": args.timeout,
           "thresholds": {"spamassassin": SA_THRESHOLD, "rspamd": RSPAMD_THRESHOLD,
                          "mailsleuth": sorted(MAILSLEUTH_FLAGGED)},
           "tools": {r.name: r.info for r in runs.values()}, "flagged": flag_rows, "speed": speed_rows,
           "messages": messages}
    args.json.write_text(json.dumps(doc, ensure_ascii=False, indent=1))
    print(f"\nwrote {args.json}", file=sys.stderr)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped, temporary files removed", file=sys.stderr)
        sys.exit(130)
