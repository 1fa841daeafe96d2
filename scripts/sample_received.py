#!/usr/bin/env python3
"""Sample ``Received:`` values from the reference corpus to grow ``tests/data/received_table.txt``.

The corpus lives at ``../shared/corpus`` beside the repository root.  Nothing here is imported
by the package; it is a developer aid.

    python scripts/sample_received.py shapes [--top N]     # most common header shapes, one example each
    python scripts/sample_received.py grep REGEX [--max N]  # values matching REGEX, with their source
    python scripts/sample_received.py check                 # parse every value: exceptions, missed IPs, speed

Each value is printed as ``# source: <path> (<n>th Received)`` followed by the value unfolded to
one line, which is the form the table uses.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
FOLDERS = ("phishing_pot", "spamassassin", "ja_lists", "bounces", "fixtures")

_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
_SHAPE_RULES = [
    (re.compile(r"IPv6:[0-9A-Fa-f:.]+"), "IP6"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"), "IP"),
    (re.compile(r"\b[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{0,4}){2,7}\b"), "IP6"),
    (re.compile(r";.*$"), "; DATE"),
    (re.compile(r"<[^<>\s]*>"), "<ADDR>"),
    (re.compile(r"\b(id|ID) \S+"), r"\1 QID"),
    (re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+\.?"), "HOST"),
    (re.compile(r"\d+"), "N"),
    (re.compile(r"\s+"), " "),
]


def _header_block(data: bytes) -> bytes:
    for sep in (b"\r\n\r\n", b"\n\n"):
        pos = data.find(sep)
        if pos >= 0:
            return data[:pos]
    return data


def received_values(data: bytes) -> list[str]:
    """The unfolded ``Received:`` values of one raw message, top (newest) first."""
    lines = _header_block(data).replace(b"\r\n", b"\n").split(b"\n")
    if lines and lines[0].startswith(b"From "):
        lines = lines[1:]
    values: list[str] = []
    current: list[bytes] | None = None
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            if current is not None:
                current.append(line)
            continue
        if current is not None:
            values.append(b"".join(current).decode("utf-8", "replace").strip())
            current = None
        if line[:9].lower() == b"received:":
            current = [line[9:]]
        elif not _HEADER_LINE.match(line):
            break
    if current is not None:
        values.append(b"".join(current).decode("utf-8", "replace").strip())
    return values


def iter_corpus(corpus: Path = CORPUS) -> Iterator[tuple[str, int, str]]:
    """Yield ``(path relative to the corpus, 1-based position, value)`` for every Received header."""
    for folder in FOLDERS:
        for path in sorted((corpus / folder).rglob("*")):
            if not path.is_file():
                continue
            for n, value in enumerate(received_values(path.read_bytes()), 1):
                yield str(path.relative_to(corpus)), n, value


def shape(value: str) -> str:
    """A coarse signature of a value: hosts, IPs, ids, numbers and the date replaced by tokens."""
    out = value
    for rx, repl in _SHAPE_RULES:
        out = rx.sub(repl, out)
    return out.strip()


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _show(src: str, n: int, value: str) -> None:
    print(f"# source: {src} ({_ordinal(n)} Received)")
    print(value)
    print()


def cmd_shapes(top: int) -> None:
    counts: Counter[str] = Counter()
    example: dict[str, tuple[str, int, str]] = {}
    for src, n, value in iter_corpus():
        key = shape(value)
        counts[key] += 1
        example.setdefault(key, (src, n, value))
    print(f"# {sum(counts.values())} values, {len(counts)} shapes\n")
    for key, count in counts.most_common(top):
        print(f"# shape x{count}: {key[:200]}")
        _show(*example[key])


def cmd_grep(pattern: str, limit: int) -> None:
    rx = re.compile(pattern)
    shown = 0
    for src, n, value in iter_corpus():
        if rx.search(value):
            _show(src, n, value)
            shown += 1
            if shown >= limit:
                break


def cmd_check(show: int) -> None:
    sys.path.append(str(ROOT / "src"))
    from mailsleuth.received import parse_received

    items = list(iter_corpus())
    values = [v for _, _, v in items]
    bracket_ip = re.compile(r"\[(?:IPv6:)?[0-9A-Fa-f]*[:.][0-9A-Fa-f:.]+\]")
    failures = 0
    for value in values:  # first pass: nothing may raise
        try:
            parse_received(value)
        except Exception as exc:  # a developer check: report every kind of failure
            failures += 1
            print(f"EXCEPTION {type(exc).__name__}: {exc} for {value[:200]!r}")
    print(f"{failures} exceptions")
    start = time.perf_counter()
    hops = [parse_received(v) for v in values]
    elapsed = time.perf_counter() - start
    print(f"{len(values)} values parsed in {elapsed:.3f}s = {len(values) / elapsed:,.0f} headers/s")
    missed = [
        item for item, hop in zip(items, hops, strict=True) if hop.ip is None and bracket_ip.search(item[2])
    ]
    print(f"{len(missed)} hops with no ip although the value holds a bracketed address")
    for item in missed[:show]:
        _show(*item)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_shapes = sub.add_parser("shapes")
    p_shapes.add_argument("--top", type=int, default=60)
    p_grep = sub.add_parser("grep")
    p_grep.add_argument("pattern")
    p_grep.add_argument("--max", type=int, default=20)
    p_check = sub.add_parser("check")
    p_check.add_argument("--show", type=int, default=30)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"corpus not found at {CORPUS}: put the shared folder beside the repository")
    if args.cmd == "shapes":
        cmd_shapes(args.top)
    elif args.cmd == "grep":
        cmd_grep(args.pattern, args.max)
    else:
        cmd_check(args.show)


if __name__ == "__main__":
    main()
