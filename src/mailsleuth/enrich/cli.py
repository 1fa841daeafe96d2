"""``mailsleuth feeds``: import phishing feeds into the local store, update them online (only
when asked), list what the store holds, and look a URL up.

Kept here, beside the store, so that ``mailsleuth.cli`` only registers the sub-command:
``add_feeds_parser(sub)``.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

from ..domains import registrable_domain
from ..urls import make_link
from .feedstore import FeedStore, ImportResult, default_store_path
from .providers import ProviderUnavailable

EXIT_FAILED = 1
EXIT_UNREADABLE = 3
FORMATS = ("jpcert", "phishtank-csv", "phishtank-json", "openphish", "list")


def add_feeds_parser(sub: Any) -> None:
    """Register ``feeds import|update|list|lookup`` on the main parser's sub-parsers."""
    f = sub.add_parser("feeds", help="phishing feeds: import files, update online, list, look up a URL",
                       description="Manage the local phishing-feed store (SQLite). Analysis reads it offline; "
                                   f"default path: {default_store_path()}")
    fsub = f.add_subparsers(dest="feeds_command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--feeds", metavar="PATH", help=f"feed store (default: {default_store_path()}, "
                                                       "or $MAILSLEUTH_FEEDS)")

    i = fsub.add_parser("import", help="import feed files or directories (JPCERT/CC CSV, PhishTank CSV/JSON, "
                                       "OpenPhish, plain URL or domain lists); repeating an import changes nothing")
    i.add_argument("paths", nargs="+", metavar="FILE|DIR")
    i.add_argument("--feed", metavar="NAME", help="feed name (default: from the format, or the file name for lists)")
    i.add_argument("--format", choices=FORMATS, help="file format (default: detected)")
    common(i)
    i.set_defaults(func=cmd_feeds_import)

    u = fsub.add_parser("update", help="download feeds (OpenPhish, JPCERT/CC's latest months) and import them: "
                                       "the only command that connects to the internet")
    u.add_argument("--source", action="append", metavar="NAME=URL", default=None,
                   help="download this URL as feed NAME instead of the defaults (repeatable)")
    u.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS")
    common(u)
    u.set_defaults(func=cmd_feeds_update)

    ls = fsub.add_parser("list", help="the feeds in the store, with entry counts and dates")
    common(ls)
    ls.set_defaults(func=cmd_feeds_list)

    lk = fsub.add_parser("lookup", help="look URLs up in the store, as analysis does")
    lk.add_argument("urls", nargs="+", metavar="URL")
    common(lk)
    lk.set_defaults(func=cmd_feeds_lookup)


def _store(args: argparse.Namespace, *, readonly: bool = False) -> FeedStore:
    return FeedStore(Path(args.feeds) if args.feeds else None, readonly=readonly)


def _print_result(r: ImportResult) -> None:
    print(f"{r.feed}: {r.rows} rows from {r.files} file(s) ({r.path}), {r.added} new, {r.total} in the store, "
          f"{r.unusable} unusable, {r.seconds:.1f} s")


def cmd_feeds_import(args: argparse.Namespace) -> int:
    status = 0
    try:
        with _store(args) as store:
            for name in args.paths:
                if not Path(name).exists():
                    print(f"mailsleuth: {name}: no such file or directory", file=sys.stderr)
                    status = EXIT_UNREADABLE
                    continue
                try:
                    for r in store.import_path(name, feed=args.feed, fmt=args.format):
                        _print_result(r)
                except (OSError, ValueError, UnicodeError) as exc:
                    print(f"mailsleuth: {name}: cannot import: {exc}", file=sys.stderr)
                    status = EXIT_UNREADABLE
    except (OSError, ValueError, sqlite3.Error) as exc:
        print(f"mailsleuth: feed store: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    return status


def cmd_feeds_update(args: argparse.Namespace) -> int:
    from .feedupdate import FeedSource, default_sources, update_feeds

    sources = default_sources()
    if args.source:
        sources = []
        for spec in args.source:
            name, sep, url = spec.partition("=")
            if not sep or not name or not url:
                print(f"mailsleuth: --source {spec!r}: expected NAME=URL", file=sys.stderr)
                return 4
            sources.append(FeedSource(name, url))
    failed = False
    with _store(args) as store:
        for out in update_feeds(store, sources, timeout=args.timeout):
            if out.result is not None:
                _print_result(out.result)
            else:
                failed = True
                print(f"mailsleuth: {out.source.name}: {out.source.url}: {out.error}", file=sys.stderr)
    return EXIT_FAILED if failed else 0


def cmd_feeds_list(args: argparse.Namespace) -> int:
    try:
        store = _store(args, readonly=True)
        infos = store.feeds()
    except ProviderUnavailable as exc:
        print(f"mailsleuth: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(f"store: {store.path}")
    for inf in infos:
        print(f"{inf.name}\t{inf.entries} entries\t{inf.first[:10]} .. {inf.last[:10]}\t"
              f"imported {inf.imported_at} from {inf.source}\t{inf.licence}")
    return 0


def cmd_feeds_lookup(args: argparse.Namespace) -> int:
    try:
        store = _store(args, readonly=True)
        store.connection()
    except ProviderUnavailable as exc:
        print(f"mailsleuth: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    found = False
    for url in args.urls:
        link = make_link(url, "", "text")
        if link is None:
            print(json.dumps({"url": url, "error": "not an http(s) URL"}, ensure_ascii=False))
            continue
        hits = store.lookup(link.url, link.host, link.registrable_domain or registrable_domain(link.host))
        found = found or bool(hits)
        print(json.dumps({"url": link.url, "feed_hits": [h.to_dict() for h in hits]}, ensure_ascii=False))
    return 0 if found else EXIT_FAILED
