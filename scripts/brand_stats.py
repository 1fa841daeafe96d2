#!/usr/bin/env python3
"""Count the brands impersonated in JPCERT/CC's phishing URL list.

Documents how ``src/mailsleuth/data/brands.json`` was chosen: every row's ``description``
(the impersonated brand) is counted over all years, spellings of one brand are merged through
the brands' ``jpcert_descriptions``, and descriptions not mapped to any brand are listed, most
frequent first, so that the next candidates are easy to see.

    python scripts/brand_stats.py [--feed ../shared/feeds/jpcert-phishurl] [--top 40]
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FEED = ROOT.parent / "shared" / "feeds" / "jpcert-phishurl"
BRANDS = ROOT / "src" / "mailsleuth" / "data" / "brands.json"


def count_descriptions(feed: Path) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    for path in sorted(feed.glob("*/*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            next(reader, None)  # date,URL,description
            for row in reader:
                if len(row) >= 3:
                    counts[row[2]] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feed", type=Path, default=DEFAULT_FEED, help="folder with YYYY/YYYYMM.csv files")
    ap.add_argument("--brands", type=Path, default=BRANDS)
    ap.add_argument("--top", type=int, default=40)
    args = ap.parse_args(argv)

    if not args.feed.is_dir():
        print(f"error: no JPCERT feed at {args.feed}; pass --feed", file=sys.stderr)
        return 2
    counts = count_descriptions(args.feed)
    doc = json.loads(args.brands.read_text(encoding="utf-8"))
    owner = {d: b["id"] for b in doc["brands"] for d in b.get("jpcert_descriptions", [])}

    merged: collections.Counter[str] = collections.Counter()
    unmapped: collections.Counter[str] = collections.Counter()
    for desc, n in counts.items():
        if desc in owner:
            merged[owner[desc]] += n
        else:
            unmapped[desc] += n

    total = sum(counts.values())
    print(f"{total} rows, {len(counts)} distinct descriptions, {len(doc['brands'])} brands in the data file")
    print(f"\nTop {args.top} brands (descriptions merged):")
    for rank, (bid, n) in enumerate(merged.most_common(args.top), 1):
        print(f"{rank:3d} {n:7d}  {bid}")
    raw_top = [d for d, _ in counts.most_common(args.top)]
    missing = [d for d in raw_top if d not in owner]
    print(f"\nTop {args.top} raw descriptions not mapped: {missing or 'none'}")
    print(f"\nMost frequent unmapped descriptions ({sum(unmapped.values())} rows):")
    for desc, n in unmapped.most_common(args.top):
        print(f"    {n:7d}  {desc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
