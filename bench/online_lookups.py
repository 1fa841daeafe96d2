"""What --online costs per message, and what the answer cache and the deadline save.

    python bench/online_lookups.py [--runs N] [--deadline S]

Starts, on 127.0.0.1 only, the same servers the tests use: nsd with the zones of tests/dns/ and
the recorded-answer RDAP (HTTP) and WHOIS (port 43) servers of tests/rdap/, plus a server that
accepts connections and never answers. Then analyses the seed mail (examples/ekinet-account-deleted.eml)
N times in each setting and prints one table (median and max milliseconds per message):

* offline             - no look-up leaves the process (the default);
* online, cold cache  - DNS, RDAP/WHOIS asked every time (cache off);
* online, warm cache  - answers reused from the SQLite answer cache (filled by one run first);
* online, dead RDAP   - the RDAP server never answers (10 s time-out): the per-message deadline
                        (--deadline, default 2 s) bounds the wait, the rest of the report stands;
* replay from bundle  - report --from-bundle: every answer read from the evidence bundle.

Loopback servers answer in well under a millisecond, so these figures are mailsleuth's own cost
plus the protocol round trips; real registries add their own latency (typically 0.1-1 s), which
the concurrent look-ups overlap and the deadline caps.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "dns"), str(ROOT / "tests" / "rdap")]

from nsd_server import nsd_binary, start_nsd  # noqa: E402
from servers import recorded_servers  # noqa: E402

import mailsleuth  # noqa: E402
from mailsleuth.bundle import Bundle, make_bundle, replay  # noqa: E402
from mailsleuth.enrich import default_enricher  # noqa: E402
from mailsleuth.enrich.dnsprovider import DnsProvider  # noqa: E402
from mailsleuth.enrich.journal import AnswerCache, Journal  # noqa: E402
from mailsleuth.enrich.online import OnlineLookups  # noqa: E402
from mailsleuth.enrich.rdap import Bootstrap, RdapProvider  # noqa: E402
from mailsleuth.enrich.registration import FallbackRegistration  # noqa: E402
from mailsleuth.enrich.whois43 import WhoisProvider  # noqa: E402

SEED = (ROOT / "examples" / "ekinet-account-deleted.eml").read_bytes()


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return statistics.median(out), max(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--deadline", type=float, default=2.0)
    args = ap.parse_args()
    if nsd_binary() is None:
        print("nsd is not installed (apt-get install nsd)", file=sys.stderr)
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="mailsleuth-bench-online-"))
    nsd = start_nsd(tmp / "nsd", {"dkim_txt": '"v=DKIM1; p="'})
    rows: list[tuple[str, int, float, float]] = []
    try:
        with recorded_servers() as s:
            boot = Bootstrap.from_iana(*(str(s.bootstrap_dir / f) for f in ("dns.json", "ipv4.json", "ipv6.json")))
            whois = WhoisProvider({"cn": s.whois_addr}, timeout=3)
            dns = DnsProvider.from_spec(nsd.spec, timeout=2.0)
            live = OnlineLookups(dns=dns, registration=FallbackRegistration(RdapProvider(boot, timeout=3), whois))
            enricher = default_enricher()
            mailsleuth.analyze(SEED, enricher=enricher)  # loads the data files and the text model once
            rows.append(("offline", args.runs, *timed(lambda: mailsleuth.analyze(SEED, enricher=enricher), args.runs)))
            rows.append(("online, cold cache", args.runs, *timed(
                lambda: mailsleuth.analyze(SEED, enricher=enricher, lookups=live, journal=Journal()), args.runs)))
            cache = AnswerCache(tmp / "answers.sqlite")
            mailsleuth.analyze(SEED, enricher=enricher, lookups=live, journal=Journal(cache=cache))
            rows.append(("online, warm cache", args.runs, *timed(
                lambda: mailsleuth.analyze(SEED, enricher=enricher, lookups=live, journal=Journal(cache=cache)),
                args.runs)))
            dead = OnlineLookups(dns=dns, deadline=args.deadline, registration=FallbackRegistration(
                RdapProvider(Bootstrap.single(f"http://{s.silent_addr}/"), timeout=10), whois))
            few = max(1, min(args.runs, 3))
            rows.append((f"online, dead RDAP (deadline {args.deadline:g} s)", few, *timed(
                lambda: mailsleuth.analyze(SEED, enricher=enricher, lookups=dead, journal=Journal()), few)))
            journal = Journal()
            report = mailsleuth.analyze(SEED, enricher=enricher, lookups=live, journal=journal)
            bundle = Bundle.from_json(make_bundle(SEED, report, journal, enricher, live).to_json())
            rows.append(("replay from bundle", args.runs, *timed(lambda: replay(bundle), args.runs)))
    finally:
        nsd.stop()
    print("| setting | runs | median ms | max ms |")
    print("|---|---:|---:|---:|")
    for name, runs, med, worst in rows:
        print(f"| {name} | {runs} | {med:.1f} | {worst:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
