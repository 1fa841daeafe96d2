"""Evidence bundles: one mail, every answer its analysis got, and the report - in one JSON file.

``mailsleuth analyze MAIL --bundle out.json`` writes one; ``mailsleuth report --from-bundle
out.json`` analyses the same bytes again with every look-up answered from the bundle (geo-IP,
ASN, feeds, DNS, RDAP/WHOIS, reputation) and nothing asked anywhere, so an analyst can re-check,
share or re-render a report months later, on another machine, byte for byte - provided the same
mailsleuth version reads it (the bundle names the version; a different one may weigh the same
evidence differently, and the command says so).

Format (``"format": "mailsleuth-bundle/1"``)::

    {"format", "mailsleuth_version", "analysed_at",       # when the answers were obtained
     "message": {"sha256", "size", "base64"},            # the bytes that were analysed
     "options": {"online", "dns": NAME, "registration": NAME, "reputation": [NAME...],
                 "deadline", "max_domains", "enricher": {"geo", "asn", "feeds"}, "warnings": [...]},
     "answers": [{"provider", "kind", "key", "answer"[, "failure", "unavailable", "cached"]}, ...],
     "report": {...}}                                     # the report's JSON, as printed
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .enrich.enricher import Enricher
from .enrich.journal import Entry, Journal, NotRecorded
from .report import Report

if TYPE_CHECKING:
    from .enrich.online import OnlineLookups
    from .scoring import Scores

FORMAT = "mailsleuth-bundle/1"


class BundleError(ValueError):
    """The file is not an evidence bundle this version can read."""


@dataclass
class Bundle:
    message: bytes
    analysed_at: str
    answers: list[Entry]
    report: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    version: str = __version__

    def to_json(self) -> str:
        return json.dumps({
            "format": FORMAT,
            "mailsleuth_version": self.version,
            "analysed_at": self.analysed_at,
            "message": {"sha256": hashlib.sha256(self.message).hexdigest(), "size": len(self.message),
                        "base64": base64.b64encode(self.message).decode("ascii")},
            "options": self.options,
            "answers": [e.to_dict() for e in self.answers],
            "report": self.report,
        }, ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Bundle:
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BundleError(f"not JSON: {exc}") from exc
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise BundleError(f"not an evidence bundle (expected \"format\": \"{FORMAT}\")")
        try:
            msg = base64.b64decode(d["message"]["base64"], validate=True)
            if hashlib.sha256(msg).hexdigest() != d["message"]["sha256"]:
                raise BundleError("the message does not match its sha256: the bundle was altered")
            return cls(message=msg, analysed_at=str(d["analysed_at"]),
                       answers=[Entry.from_dict(e) for e in d["answers"]], report=d["report"],
                       options=dict(d.get("options") or {}), version=str(d.get("mailsleuth_version", "")))
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, BundleError):
                raise
            raise BundleError(f"incomplete bundle: {type(exc).__name__}: {exc}") from exc

    @classmethod
    def read(cls, path: Path) -> Bundle:
        return cls.from_json(path.read_text(encoding="utf-8"))


def make_bundle(message: bytes, report: Report, journal: Journal, enricher: Enricher,
                lookups: OnlineLookups | None, warnings: Sequence[str] = ()) -> Bundle:
    """The bundle of one finished analysis (``warnings``: the caller's own, e.g. truncated input)."""
    options: dict[str, Any] = {
        "online": lookups is not None,
        "enricher": {"geo": _name(enricher.geo), "asn": _name(enricher.asn), "feeds": _name(enricher.feeds),
                     "max_links": enricher.max_links},
        "warnings": list(warnings),
    }
    if lookups is not None:
        options.update({
            "dns": _name(lookups.dns), "dns_timeout": getattr(lookups.dns, "timeout", None),
            "registration": _name(lookups.registration),
            "reputation": [p.name for p in lookups.reputation], "deadline": lookups.deadline,
            "max_domains": lookups.max_domains,
        })
    return Bundle(message=message, analysed_at=journal.now, answers=journal.entries(), report=report.to_dict(),
                  options=options)


def replay(bundle: Bundle, *, scores: Scores | None = None) -> Report:
    """The report of the bundle's mail, every look-up answered from the bundle (nothing is asked)."""
    from .analyze import analyze

    opts = bundle.options
    journal = Journal(replay=bundle.answers, now=bundle.analysed_at)
    enr = opts.get("enricher") or {}
    enricher = Enricher(geo=_stub(enr.get("geo")), asn=_stub(enr.get("asn")), feeds=_stub(enr.get("feeds")),
                        max_links=int(enr.get("max_links") or 50))
    lookups = None
    if opts.get("online"):
        from .enrich.online import OnlineLookups

        dns = None
        if opts.get("dns"):
            from .enrich.dnsprovider import DnsProvider  # the "online" extra

            dns = DnsProvider.replaying(str(opts["dns"]), journal, float(opts.get("dns_timeout") or 3.0))
        lookups = OnlineLookups(dns=dns, registration=_stub(opts.get("registration")),
                                reputation=[_stub(n) for n in opts.get("reputation") or ()],
                                deadline=float(opts.get("deadline") or 0),
                                max_domains=int(opts.get("max_domains") or 5))
    report = analyze(bundle.message, scores=scores, enricher=enricher, lookups=lookups, journal=journal)
    report.warnings.extend(str(w) for w in opts.get("warnings") or ())
    return report


class _Recorded:
    """Stands in for a provider during a replay: it has the recorded name and answers nothing
    itself (the journal answers from the bundle before any method is called)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attr: str) -> Any:
        def unanswered(*_args: Any, **_kw: Any) -> Any:
            raise NotRecorded("skipped, because the evidence bundle holds no answer to this question")

        return unanswered


def _stub(name: object) -> Any:
    return _Recorded(str(name)) if name else None


def _name(provider: object) -> str | None:
    return str(getattr(provider, "name", "")) or None if provider is not None else None
