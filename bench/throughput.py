"""Messages per second of mailsleuth's offline analysis, next to Python's bare ``email``
parse of the same files, in one process (one core).

    python bench/throughput.py [CORPUS_DIR] [--limit N] [--repeat R]

Files are read into memory first, so disk speed does not count. Start-up (loading brand,
phrase, PSL and geo data) is timed separately and excluded from the per-message rate.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="?", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--limit", type=int, default=0, help="only the first N files (0: all)")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    files = sorted(p for p in Path(args.corpus).rglob("*.eml") if p.is_file())
    if args.limit:
        files = files[: args.limit]
    blobs = [p.read_bytes() for p in files]
    mb = sum(map(len, blobs)) / 1e6

    t0 = time.perf_counter()
    import mailsleuth

    mailsleuth.analyze(blobs[0])  # loads the data files once
    startup = time.perf_counter() - t0

    def rate(fn: object, label: str) -> float:
        best = 0.0
        for _ in range(args.repeat):
            start = time.perf_counter()
            for b in blobs:
                fn(b)  # type: ignore[operator]
            best = max(best, len(blobs) / (time.perf_counter() - start))
        print(f"{label:<48} {best:8.0f} msg/s")
        return best

    print(f"{len(blobs)} messages, {mb:.1f} MB, Python {platform.python_version()}, one process\n")
    rate(email.message_from_bytes, "email.message_from_bytes (compat32, bare)")
    rate(lambda b: email.message_from_bytes(b, policy=email.policy.default),
         "email.message_from_bytes (policy=default)")
    rate(mailsleuth.analyze, "mailsleuth.analyze (offline, full report)")
    print(f"\nmailsleuth start-up (first message, data loading): {startup * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
