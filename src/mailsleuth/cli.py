"""``mailsleuth`` command line.

Exit status of ``mailsleuth analyze`` (the worst over all messages):
  0 clean, 1 suspicious or spam, 2 phishing,
  3 an input could not be read (missing file, directory without mail, I/O error),
  4 wrong usage (bad option),
  5 internal error while analysing a message (a bug: please report it with the message).
"""

from __future__ import annotations

import argparse
import json
import locale
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .analyze import analyze
from .enrich import default_enricher
from .enrich.cli import add_feeds_parser
from .enrich.journal import AnswerCache, Journal
from .report import Report
from .scoring import Scores, check_groups, load_scores

if TYPE_CHECKING:
    from .enrich.online import OnlineLookups

EXIT = {"clean": 0, "suspicious": 1, "spam": 1, "phishing": 2}
EXIT_UNREADABLE = 3
EXIT_USAGE = 4
EXIT_INTERNAL = 5
ARTICLE_FORMATS = ("md", "html", "stix", "misp")  # the report command's formats, for one mail
MAX_INPUT = 64 * 1024 * 1024  # bytes read from one file; more is cut with a warning
MAIL_SUFFIXES = {".eml", ".msg", ".txt", ".mail", ""}


def default_lang() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    loc = locale.getlocale()[0] or ""
    return "ja" if loc.lower().startswith("ja") else "en"


def iter_inputs(paths: list[str]) -> Iterator[tuple[str, bytes | None, str]]:
    """(name, data or None, error) for every file named or found under a directory."""
    for name in paths:
        if name == "-":
            yield "-", sys.stdin.buffer.read(MAX_INPUT + 1), ""
            continue
        p = Path(name)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
            if not files:
                yield name, None, "directory holds no files"
            for f in files:
                yield from _read(f)
        else:
            yield from _read(p)


def _read(p: Path) -> Iterator[tuple[str, bytes | None, str]]:
    try:
        with p.open("rb") as fh:
            yield str(p), fh.read(MAX_INPUT + 1), ""
    except OSError as exc:
        yield str(p), None, exc.strerror or str(exc)


def _analyze(data: bytes, scores: Scores | None, feeds: str | None = None, lookups: OnlineLookups | None = None,
             cache: AnswerCache | None = None, bundle: Path | None = None) -> Report:
    """One message; with ``bundle``, also write its evidence bundle there."""
    enricher = default_enricher(feeds)
    journal = Journal(cache=cache)
    report = analyze(data[:MAX_INPUT], scores=scores, enricher=enricher, lookups=lookups, journal=journal)
    extra = []
    if len(data) > MAX_INPUT:
        extra.append(f"input larger than {MAX_INPUT} bytes: only the first {MAX_INPUT} were read")
    report.warnings.extend(extra)
    if bundle is not None:
        from .bundle import make_bundle

        text = make_bundle(data[:MAX_INPUT], report, journal, enricher, lookups, extra).to_json()
        bundle.write_text(text, encoding="utf-8")
    return report


def _online(args: argparse.Namespace) -> tuple[OnlineLookups | None, AnswerCache | None] | str:
    """The online look-ups the options and the config file ask for, or an error message."""
    from .enrich.setup import SetupError, config_path, load_settings

    try:
        settings = load_settings(config_path(args.config))
    except SetupError as exc:
        return str(exc)
    if not (args.online or settings.enabled):
        for opt in ("dns_server", "rdap_url", "rdap_bootstrap", "whois_server", "deadline"):
            if getattr(args, opt):
                return f"--{opt.replace('_', '-')} needs --online"
        return None, None
    for opt in ("dns_server", "dns_timeout", "deadline", "rdap_url", "rdap_bootstrap"):
        if getattr(args, opt) is not None:
            setattr(settings, opt, getattr(args, opt))
    for spec in args.whois_server or ():
        tld, sep, server = spec.partition("=")
        if not sep or not tld or not server:
            return f"--whois-server {spec}: give TLD=HOST[:PORT], e.g. cn=whois.cnnic.cn"
        settings.whois_servers[tld.strip(".").lower()] = server
    if args.no_cache:
        settings.cache = ""
    try:
        from .enrich.setup import build_lookups

        return build_lookups(settings)
    except ImportError:
        return "--online needs the 'online' extra: pip install 'mailsleuth[online]'"
    except SetupError as exc:
        return str(exc)


def cmd_analyze(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=False, no_color=args.no_color or None)
    if args.text_model:
        from .checks.model import use_model
        from .classifier import load_model

        try:
            use_model(load_model(Path(args.text_model)))
        except (OSError, ValueError, KeyError) as exc:
            print(f"mailsleuth: {args.text_model}: cannot read the text model: {exc}", file=sys.stderr)
            return EXIT_UNREADABLE
    scores = None
    if args.scores:
        try:
            scores = load_scores(Path(args.scores), groups=check_groups())
        except (OSError, ValueError, KeyError) as exc:
            print(f"mailsleuth: {args.scores}: cannot read the scores file: {exc}", file=sys.stderr)
            return EXIT_UNREADABLE
    online = _online(args)
    if isinstance(online, str):
        print(f"mailsleuth: {online}", file=sys.stderr)
        return EXIT_USAGE
    lookups, cache = online
    worst = 0
    failed = internal = False
    first = True
    many = len(args.paths) > 1 or any(Path(p).is_dir() for p in args.paths)
    if many and args.format in ARTICLE_FORMATS:
        print(f"mailsleuth: --format {args.format} takes one mail; use json or jsonl for many", file=sys.stderr)
        return EXIT_USAGE
    if many and args.bundle:
        print("mailsleuth: --bundle takes one mail", file=sys.stderr)
        return EXIT_USAGE
    for name, data, error in iter_inputs(args.paths):
        if data is None:
            failed = True
            print(f"mailsleuth: {name}: {error}", file=sys.stderr)
            if args.format == "jsonl":
                print(json.dumps({"path": name, "error": error}, ensure_ascii=False))
            continue
        try:
            report = _analyze(data, scores, args.feeds, lookups, cache, Path(args.bundle) if args.bundle else None)
        except Exception as exc:  # a bug must not stop a batch; say which input triggered it
            internal = True
            print(f"mailsleuth: {name}: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
            if args.format == "jsonl":
                print(json.dumps({"path": name, "error": f"internal error: {type(exc).__name__}"}))
            continue
        worst = max(worst, EXIT[report.verdict])
        if args.format in ARTICLE_FORMATS:
            try:
                text = _render_report(report, args.format, args.lang, data[:MAX_INPUT], None)
            except ImportError as exc:
                print(f"mailsleuth: {exc}", file=sys.stderr)
                return EXIT_USAGE
            sys.stdout.buffer.write(text.encode("utf-8"))
            sys.stdout.flush()
        elif args.format == "json":
            out = report.to_dict()
            if many:
                out = {"path": name, **out}
            print(json.dumps(out, ensure_ascii=False, indent=2))
        elif args.format == "jsonl":
            print(json.dumps({"path": name, **report.to_dict()}, ensure_ascii=False))
        else:
            from .render_text import render

            if not first:
                console.rule()
            render(report, console, args.lang, name if many else None)
        first = False
    if internal:
        return EXIT_INTERNAL
    return EXIT_UNREADABLE if failed else worst


def _render_report(report: Report, fmt: str, lang: str, raw: bytes, out: Path | None) -> str:
    if fmt in ("stix", "misp"):
        from .intel import render_intel

        return render_intel(report, fmt, raw)
    from .article import from_report, render_html, render_markdown, write_map_png

    if fmt == "html":
        return render_html(report, lang, mail=raw, enrichment=from_report(report))
    map_name: str | None = None
    if out is not None:
        try:
            if write_map_png(report, out.parent / "map.png", enrichment=from_report(report)):
                map_name = "map.png"
        except ImportError:  # Pillow missing: the article goes without its picture
            print("mailsleuth: Pillow is not installed: map.png not written", file=sys.stderr)
    return render_markdown(report, lang, mail=raw, map_png_name=map_name, enrichment=from_report(report))


def cmd_report(args: argparse.Namespace) -> int:
    """One mail -> a shareable article (Markdown with map.png beside it, one HTML file) or
    threat intelligence (STIX 2.1 bundle, MISP event)."""
    out = Path(args.output) if args.output and args.output != "-" else None
    fmt = args.format or ("html" if out is not None and out.suffix.lower() in (".html", ".htm") else "md")
    if (args.path is None) == (args.from_bundle is None):
        print("mailsleuth: report takes one MAIL, or --from-bundle FILE", file=sys.stderr)
        return EXIT_USAGE
    if args.path is not None and args.path != "-" and Path(args.path).is_dir():
        print(f"mailsleuth: {args.path}: is a directory: give one mail file", file=sys.stderr)
        return EXIT_USAGE
    if out is not None and not out.parent.is_dir():
        print(f"mailsleuth: {out}: cannot write: no directory {out.parent}", file=sys.stderr)
        return EXIT_UNREADABLE
    if args.from_bundle is not None:
        loaded = _from_bundle(Path(args.from_bundle))
        if isinstance(loaded, int):
            return loaded
        name, data, report = loaded
    else:
        name, got, error = next(iter_inputs([args.path]))
        if got is None:
            print(f"mailsleuth: {name}: {error}", file=sys.stderr)
            return EXIT_UNREADABLE
        data, report = got, None
    try:
        if report is None:
            report = _analyze(data, None)
        text = (json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n" if fmt == "json"
                else _render_report(report, fmt, args.lang, data[:MAX_INPUT], out))
    except ImportError as exc:  # an optional extra is missing; the message names it
        print(f"mailsleuth: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # a bug: say which input triggered it
        print(f"mailsleuth: {name}: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    if out is None:
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.flush()
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"mailsleuth: {out}: cannot write: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_UNREADABLE
    return EXIT[report.verdict]


def _from_bundle(path: Path) -> tuple[str, bytes, Report] | int:
    """The bundle's mail and its report, replayed from the recorded answers (or an exit status)."""
    from .bundle import Bundle, BundleError, replay

    try:
        bundle = Bundle.read(path)
    except OSError as exc:
        print(f"mailsleuth: {path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    except BundleError as exc:
        print(f"mailsleuth: {path}: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        report = replay(bundle)
    except ImportError as exc:
        print(f"mailsleuth: {path}: replaying an online bundle needs the 'online' extra ({exc})", file=sys.stderr)
        return EXIT_USAGE
    if report.to_dict() != bundle.report:
        print(f"mailsleuth: {path}: note: this report differs from the one recorded by mailsleuth {bundle.version} "
              f"(this is {__version__}); the recorded one is in the bundle's \"report\"", file=sys.stderr)
    return str(path), bundle.message, report


def cmd_train(args: argparse.Namespace) -> int:
    """Train a text model on the user's own labelled mail (needs the 'train' extra)."""
    from .classifier import train_from_labels

    try:
        summary = train_from_labels(Path(args.folder), Path(args.labels), Path(args.out), args.seed)
    except RuntimeError as exc:  # scikit-learn missing: the message names the extra
        print(f"mailsleuth: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, ValueError) as exc:
        print(f"mailsleuth: cannot train: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """The page and the REST API (needs the 'web' extra)."""
    try:
        from .web import UnsafeBind, serve
    except ImportError as exc:
        print(f"mailsleuth: serve needs the 'web' extra: pip install 'mailsleuth[web]' ({exc})", file=sys.stderr)
        return EXIT_USAGE
    token = os.environ.get("MAILSLEUTH_WEB_TOKEN") or None
    if args.token_file:
        try:
            token = Path(args.token_file).read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            print(f"mailsleuth: {args.token_file}: cannot read the token: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_UNREADABLE
    db = args.db
    if db and "://" not in db:  # a plain path: an SQLite file
        db = f"sqlite:///{Path(db).expanduser().resolve()}"
    try:
        serve(host=args.host, port=args.port, workers=args.workers, db_url=db, token=token,
              max_upload=int(args.max_upload * 1024 * 1024))
    except UnsafeBind as exc:
        print(f"mailsleuth: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def add_serve_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser("serve", help="a local web page to paste or drop a mail, and a REST API",
                       description="Serve a page (paste or drop a mail; verdict, findings, route and map, links, "
                                   "article downloads) and the REST API /api/v1 (OpenAPI at /openapi.json). "
                                   "Listens on 127.0.0.1 only unless a token is given; with a token every API call "
                                   "needs 'Authorization: Bearer <token>'. Needs the 'web' extra.")
    s.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; any other address needs a token)")
    s.add_argument("--port", type=int, default=8025, help="port (default 8025)")
    s.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    s.add_argument("--db", metavar="URL|PATH",
                   help="history database: an SQLAlchemy URL (sqlite:///..., postgresql+psycopg://...) or an "
                        "SQLite file path (default ~/.local/share/mailsleuth/web.sqlite)")
    s.add_argument("--token-file", metavar="FILE",
                   help="file holding the API token (or set MAILSLEUTH_WEB_TOKEN); never given on the command line")
    s.add_argument("--max-upload", type=float, default=5.0, metavar="MB",
                   help="largest message accepted, in MB (default 5)")
    s.set_defaults(func=cmd_serve)


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluate import eval_command

    return eval_command(args.folder, args.labels, jobs=args.jobs, out=args.out, scores=args.scores, limit=args.limit)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailsleuth",
        description="Tell whether a mail is phishing, explain why, and say what to do.",
        epilog="Exit status: 0 clean, 1 suspicious or spam, 2 phishing, 3 unreadable input, "
        "4 usage error, 5 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"mailsleuth {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("analyze", help="analyse mail files, directories (recursively) or - for stdin",
                       description="Analyse raw mail (.eml) files. Directories are read recursively; "
                                   "- reads one message from standard input.")
    a.add_argument("paths", nargs="+", metavar="PATH")
    a.add_argument("--format", choices=("text", "json", "jsonl", *ARTICLE_FORMATS), default="text",
                   help="text (default): terminal report; json: one object per message; "
                        "jsonl: one line per message with its path; md, html, stix, misp: as the "
                        "report command, for one mail, to standard output")
    a.add_argument("--lang", choices=("ja", "en"), default=default_lang(),
                   help="language of explanations and advice (default: from the locale)")
    a.add_argument("--no-color", action="store_true", help="plain text without colour")
    a.add_argument("--scores", metavar="FILE", help="scores override file (TOML) read on top of the shipped weights")
    a.add_argument("--feeds", metavar="PATH",
                   help="phishing-feed store to look links up in (default: $MAILSLEUTH_FEEDS or "
                        "~/.local/share/mailsleuth/feeds.sqlite; fill it with: mailsleuth feeds import)")
    a.add_argument("--online", action="store_true",
                   help="also look things up on the network (needs the 'online' extra): DNS for DKIM, SPF, DMARC, "
                        "reverse DNS of the origin, whether the claimed brand's SPF allows it and where the link "
                        "hosts are; RDAP/WHOIS for who registered the link and sender domains and when; reputation "
                        "services whose API key is set (MAILSLEUTH_VT_API_KEY, MAILSLEUTH_URLSCAN_API_KEY, "
                        "MAILSLEUTH_GSB_API_KEY). Links are never opened")
    a.add_argument("--dns-server", metavar="HOST:PORT",
                   help="with --online: the DNS server to ask (an IP address, port 53 by default; "
                        "default: the system's resolvers)")
    a.add_argument("--dns-timeout", type=float, default=None, metavar="SECONDS",
                   help="with --online: seconds to wait for one DNS answer (default 3)")
    a.add_argument("--deadline", type=float, default=None, metavar="SECONDS",
                   help="with --online: seconds for all look-ups of one message, run concurrently; what has not "
                        "answered by then is reported as skipped (default 20)")
    a.add_argument("--rdap-url", metavar="URL",
                   help="with --online: one RDAP server for every domain and address (default: IANA's "
                        "bootstrap, fetched once a week)")
    a.add_argument("--rdap-bootstrap", metavar="DIR|URL", help="with --online: IANA's RDAP bootstrap files "
                   "(dns.json, ipv4.json, ipv6.json) in a folder, or at a mirror's URL (fetched once a week)")
    a.add_argument("--whois-server", action="append", metavar="TLD=HOST[:PORT]",
                   help="with --online: WHOIS server for a TLD without RDAP (repeatable; built in: cn, jp, ...)")
    a.add_argument("--no-cache", action="store_true",
                   help="with --online: ask again instead of reusing cached answers (cache: $MAILSLEUTH_CACHE or "
                        "~/.cache/mailsleuth/answers.sqlite)")
    a.add_argument("--config", metavar="FILE", help="config file (TOML; default $MAILSLEUTH_CONFIG or "
                   "~/.config/mailsleuth/config.toml): [online] settings and API keys")
    a.add_argument("--bundle", metavar="FILE",
                   help="also write the evidence bundle: the mail, every look-up's answer and the report, to "
                        "re-render later with: mailsleuth report --from-bundle FILE (one mail)")
    a.add_argument("--text-model", metavar="FILE", help="a text model trained with mailsleuth train")
    a.set_defaults(func=cmd_analyze)

    r = sub.add_parser("report", help="write a shareable article (Markdown/HTML) or threat intel (STIX/MISP)",
                       description="Write about one mail: a 注意喚起 article (verdict, what to do, sender, headers, "
                                   "route, map, body, links, findings; every link and address defanged) as Markdown "
                                   "(map.png written beside -o FILE) or one self-contained HTML file; or the same "
                                   "facts as a STIX 2.1 bundle or a MISP event (raw indicators; needs the 'intel' "
                                   "extra). Exit status as for analyze; 3 also when the output cannot be written.")
    r.add_argument("path", metavar="MAIL", nargs="?", help="a mail file, or - for standard input")
    r.add_argument("--from-bundle", metavar="FILE",
                   help="instead of MAIL: an evidence bundle (analyze --bundle); the report is made again from the "
                        "recorded answers, nothing is looked up, and it is the same byte for byte")
    r.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    r.add_argument("--format", choices=("md", "html", "stix", "misp", "json"), default=None,
                   help="md (default), html, stix, misp or json (the analysis as analyze --format json prints it); "
                        "-o FILE.html implies html")
    r.add_argument("--lang", choices=("ja", "en"), default=default_lang(),
                   help="language of the article (default: from the locale)")
    r.set_defaults(func=cmd_report)

    t = sub.add_parser("train", help="train the text model on your own labelled mail",
                       description="Train the text classifier (one of the checks) on labelled mail and write the "
                                   "model file; use it with analyze --text-model FILE. Needs the 'train' extra: "
                                   "pip install 'mailsleuth[train]'.")
    t.add_argument("folder", metavar="FOLDER", help="folder the paths in the labels file are relative to")
    t.add_argument("--labels", metavar="CSV", required=True, help="labels file: path,label[,source,brand]")
    t.add_argument("-o", "--out", metavar="FILE", required=True, help="where to write the model (JSON)")
    t.add_argument("--seed", type=int, default=0, help="random seed (default 0): same data, same model")
    t.set_defaults(func=cmd_train)

    add_feeds_parser(sub)
    add_serve_parser(sub)

    e = sub.add_parser("eval", help="measure detection on a labelled corpus (labels.csv: path,label,source,brand)",
                       description="Analyse every message listed in a labels file and print the detection tables "
                                   "(Markdown): verdicts per source and label, recall, false-positive rate, "
                                   "precision, brand accuracy, per-check statistics, misses, false alarms, time. "
                                   "Exit status 0, 1 when a message ended in an error, 3 when an input cannot be "
                                   "read, 4 for bad option values.")
    e.add_argument("folder", metavar="FOLDER", help="folder the paths in the labels file are relative to")
    e.add_argument("--labels", metavar="CSV", help="labels file: path,label,source,brand (default: FOLDER/labels.csv)")
    e.add_argument("--jobs", type=int, default=2, metavar="N", help="worker processes (default 2; 1: no workers)")
    e.add_argument("--out", metavar="DIR", help="also write DIR/eval.md and DIR/eval.json")
    e.add_argument("--scores", metavar="FILE", help="scores override file (TOML), read on top of the shipped scores")
    e.add_argument("--limit", type=int, metavar="N", help="only N rows, spread evenly over the labels file")
    e.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code not in (0, None) else 0
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
