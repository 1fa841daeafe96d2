"""Latency and throughput of ``POST /api/v1/analyze`` (mailsleuth serve) at 1, 8 and 50 concurrent clients
on loopback, and, when Debian's rspamd is installed, of rspamd's ``/checkv2`` on the same mail side by side.

    python bench/web_latency.py [--requests N] [--concurrency 1,8,50] [--workers W] [--mail FILE...] [--no-rspamd]

Each level sends N requests (default 200; bounded) with that many in flight (asyncio + httpx), cycling over the
mail files (default: examples/*.eml), after a short warm-up that is not timed. The mailsleuth server is uvicorn
with W worker processes (default 1) and a fresh SQLite history in a temporary directory; rspamd is started by
bench/side_by_side.py's functions (its bench config, loopback only, DNS stub, W normal workers). Prints a Markdown
table: requests, errors, p50 / p99 latency (ms) and requests/second.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mailsleuth.web.testing import running_server  # noqa: E402

WARMUP = 5


@dataclass
class Level:
    tool: str
    concurrency: int
    n: int
    errors: int
    p50: float
    p99: float
    rps: float


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


async def _load(url: str, mails: Sequence[bytes], concurrency: int, requests: int, headers: dict[str, str],
                ok: int = 200) -> tuple[list[float], int, float]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(trust_env=False, timeout=120, limits=limits) as client:
        for i in range(WARMUP):
            await client.post(url, content=mails[i % len(mails)], headers=headers)
        latencies: list[float] = []
        errors = 0
        counter = iter(range(requests))

        async def worker() -> None:
            nonlocal errors
            for i in counter:
                start = time.perf_counter()
                try:
                    r = await client.post(url, content=mails[i % len(mails)], headers=headers)
                    if r.status_code != ok:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - start)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, errors, time.perf_counter() - start


def measure(tool: str, url: str, mails: Sequence[bytes], levels: Sequence[int], requests: int,
            headers: dict[str, str]) -> list[Level]:
    out = []
    for c in levels:
        lat, errors, wall = asyncio.run(_load(url, mails, c, requests, headers))
        out.append(Level(tool, c, len(lat), errors, percentile(lat, 50) * 1000, percentile(lat, 99) * 1000,
                         len(lat) / wall))
        print(f"  [{tool}] c={c}: p50 {out[-1].p50:.1f} ms, {out[-1].rps:.1f} req/s", file=sys.stderr, flush=True)
    return out


def run_rspamd(mails: Sequence[bytes], levels: Sequence[int], requests: int, workers: int) -> list[Level]:
    import side_by_side as sbs

    if sbs.find_binary("rspamd") is None:
        print("rspamd is not installed: skipped (Debian package: rspamd)", file=sys.stderr)
        return []
    with tempfile.TemporaryDirectory(prefix="web-latency-rspamd-") as tmp, sbs.DnsStub() as dns, \
            sbs.rspamd_server(Path(tmp), workers, dns) as port:
        return measure("rspamd /checkv2", f"http://127.0.0.1:{port}/checkv2", mails, levels, requests, {})


def table(rows: Sequence[Level]) -> str:
    lines = ["| tool | clients | requests | errors | p50 ms | p99 ms | req/s |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.tool} | {r.concurrency} | {r.n} | {r.errors} | {r.p50:.1f} | {r.p99:.1f} | {r.rps:.1f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--requests", type=int, default=200, help="requests per concurrency level (default 200)")
    ap.add_argument("--concurrency", default="1,8,50", help="comma-separated client counts (default 1,8,50)")
    ap.add_argument("--workers", type=int, default=1, help="server processes for both tools (default 1)")
    ap.add_argument("--mail", nargs="*", type=Path, help="mail files (default: examples/*.eml)")
    ap.add_argument("--no-rspamd", action="store_true", help="do not run rspamd")
    args = ap.parse_args(argv)
    levels = [int(x) for x in args.concurrency.split(",") if x.strip()]
    requests = max(1, min(args.requests, 100_000))
    files = args.mail or sorted((ROOT / "examples").glob("*.eml"))
    mails = [p.read_bytes() for p in files]
    rows: list[Level] = []
    with tempfile.TemporaryDirectory(prefix="web-latency-") as tmp, \
            running_server(f"sqlite:///{tmp}/web.sqlite", workers=args.workers, max_upload=64 << 20) as base:
        rows += measure("mailsleuth /api/v1/analyze", base + "/api/v1/analyze", mails, levels, requests,
                        {"Content-Type": "message/rfc822"})
    if not args.no_rspamd:
        try:
            rows += run_rspamd(mails, levels, requests, args.workers)
        except RuntimeError as exc:
            print(f"rspamd: {exc}", file=sys.stderr)
    print(f"{len(mails)} mail file(s), {requests} requests per level, {args.workers} server worker(s), loopback\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
