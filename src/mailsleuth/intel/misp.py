"""A MISP event of one analysed mail, built with pymisp's ``MISPEvent`` (no server needed).

What the event holds (ids, dates and indicator choice: see :mod:`mailsleuth.intel`):

* ``info``: the subject. ``date``: the mail's time. ``threat_level_id`` by MISP's own scale
  (1 sophisticated APT, 2 APT malware, 3 mass malware, 4 no risk): phishing 3 - mass,
  commodity fraud - and 4 for the other verdicts. ``analysis``: 2 (completed) when the checks
  settled the verdict, 0 (initial) for ``suspicious``, which needs a person to finish it.
  ``published`` is false (a person reviews first); ``distribution`` is left to the server's
  default.
* Tags: ``tlp:green``, ``mailsleuth:verdict="..."``, ``mailsleuth:brand="..."`` (impersonated
  brand), ``mailsleuth:finding="ID"`` per finding, and the RSIT taxonomy's
  ``rsit:fraud="phishing"`` or ``rsit:abusive-content="spam"``.
* Objects from pymisp's templates: one ``email`` (from, display name, subject as received,
  message-id, reply-to, return-path, send-date, ip-src of the origin, the HELO name it gave,
  x-mailer, user-agent; the recipient is left out); one ``url`` per link (url raw, host,
  registrable domain, IP, link text), which the email ``contains``; a ``domain-ip`` for the
  origin when the receiving server found its name.
* ``to_ids`` is true only for the URL and registrable domain of an implicated link, and for the
  sender's domain (a ``domain`` attribute of its own) when it is implicated.
* An event report (Markdown) with the verdict, score, summaries, findings and advice.
"""

from __future__ import annotations

import json
from typing import Any

from pymisp import MISPEvent, MISPObject
from pymisp.abstract import pymisp_json_default

from ..domains import is_ip
from ..models import Hop, Link
from ..report import Report
from . import TLP, Context, Implicated, subject_or_placeholder

__all__ = ["ANALYSIS", "THREAT_LEVEL", "misp_event"]

THREAT_LEVEL = {"phishing": 3, "suspicious": 4, "spam": 4, "clean": 4}
ANALYSIS = {"phishing": 2, "suspicious": 0, "spam": 2, "clean": 2}
TAXONOMY = {"phishing": 'rsit:fraud="phishing"', "spam": 'rsit:abusive-content="spam"'}


class _Builder:
    """Makes objects and attributes with ids derived from the mail (see ``Context.uuid``)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.seen: set[str] = set()  # attribute ids made so far: a repeated value is added once

    def obj(self, name: str, key: str, comment: str = "") -> MISPObject:
        o = MISPObject(name, standalone=False)
        o.uuid = self.ctx.uuid("misp", "object", name, key)
        if comment:
            o.comment = comment
        return o

    def attr(self, o: MISPObject, relation: str, value: Any, *, to_ids: bool = False, comment: str = "") -> None:
        uid = self.ctx.uuid("misp", "attribute", o.uuid, relation, str(value))
        if value in (None, "") or uid in self.seen:
            return
        self.seen.add(uid)
        extra = {"comment": comment} if comment else {}
        o.add_attribute(relation, value=value, to_ids=to_ids, uuid=uid, **extra)

    def reference(self, source: MISPObject, target: MISPObject, kind: str) -> None:
        source.add_reference(target.uuid, kind, uuid=self.ctx.uuid("misp", "reference", source.uuid, kind, target.uuid))


def misp_event(report: Report, ctx: Context) -> str:
    """The JSON text of the event, as ``MISPEvent.to_json`` gives it but indented and with
    UTF-8 characters as they are (independent of whether ``orjson`` is installed)."""
    event = MISPEvent()
    event.uuid = ctx.uuid("misp", "event")
    event.info = subject_or_placeholder(report)
    event.date = ctx.when.date()
    event.threat_level_id = THREAT_LEVEL[report.verdict]
    event.analysis = ANALYSIS[report.verdict]
    event.published = False  # a person reviews before publishing
    for tag in tags(report):
        event.add_tag(tag)
    build = _Builder(ctx)
    mail = _email(build, report, ctx)
    event.add_object(mail)
    for o in [*_urls(build, report.links, ctx.implicated), *_origin(build, report.origin)]:
        build.reference(mail, o, "contains" if o.name == "url" else "related-to")
        event.add_object(o)
    _sender_domains(event, ctx)
    event.add_event_report("mailsleuth analysis", explanation(report), uuid=ctx.uuid("misp", "event-report"))
    return json.dumps(event, default=pymisp_json_default, ensure_ascii=False, indent=2)


def _sender_domains(event: MISPEvent, ctx: Context) -> None:
    """The sender's own domain, when implicated, as an attribute of its own (to_ids)."""
    for imp in ctx.implicated:
        if imp.role == "sender":
            uid = ctx.uuid("misp", "attribute", "sender", imp.domain)
            event.add_attribute("domain", imp.domain, to_ids=True, uuid=uid,
                                comment=f"sender domain, named by the findings {', '.join(imp.finding_ids)}")


def tags(report: Report) -> list[str]:
    found = [TLP, f'mailsleuth:verdict="{report.verdict}"']
    if report.brand is not None and report.brand.role == "impersonated":
        found.append(f'mailsleuth:brand="{report.brand.name}"')
    if report.verdict in TAXONOMY:
        found.append(TAXONOMY[report.verdict])
    found.extend(f'mailsleuth:finding="{f.id}"' for f in report.findings)
    return list(dict.fromkeys(found))


def _email(build: _Builder, report: Report, ctx: Context) -> MISPObject:
    o = build.obj("email", "mail", report.summary.get("en", ""))
    sender = report.header_from
    build.attr(o, "from", sender.address if sender else "")
    build.attr(o, "from-display-name", sender.display_name_raw if sender else "")
    build.attr(o, "subject", report.subject_raw)
    build.attr(o, "message-id", report.message_id)
    for a in report.reply_to:
        build.attr(o, "reply-to", a.address)
        build.attr(o, "reply-to-display-name", a.display_name_raw)
    build.attr(o, "return-path", report.return_path.address if report.return_path else "")
    build.attr(o, "send-date", ctx.facts.date)
    _origin_attributes(build, o, report.origin)
    for relation, header in (("x-mailer", "X-Mailer"), ("user-agent", "User-Agent")):
        for value in ctx.facts.extra_headers.get(header, []):
            build.attr(o, relation, value)
    return o


def _origin_attributes(build: _Builder, o: MISPObject, hop: Hop | None) -> None:
    if hop is None:
        return
    build.attr(o, "ip-src", hop.ip, comment=f"sending server, as received by {hop.by or 'the first trusted hop'}")
    build.attr(o, "received-header-hostname", hop.helo, comment="name the sending server gave (HELO), not verified")


def _urls(build: _Builder, links: list[Link], implicated: tuple[Implicated, ...]) -> list[MISPObject]:
    flagged = {imp.url: imp for imp in implicated if imp.role == "link"}
    made: dict[str, MISPObject] = {}
    for link in links:
        if link.url not in made:
            made[link.url] = _url(build, link, flagged.get(link.url))
    return list(made.values())


def _url(build: _Builder, link: Link, imp: Implicated | None) -> MISPObject:
    why = f"named by the findings {', '.join(imp.finding_ids)}" if imp else ""
    o = build.obj("url", link.url, f"phishing link ({why})" if imp else f"link ({link.source})")
    build.attr(o, "url", link.url, to_ids=imp is not None, comment=why)
    if link.host and link.host != link.registrable_domain and not _is_ip_host(link):
        build.attr(o, "host", link.host)
    build.attr(o, "domain", link.registrable_domain, to_ids=bool(imp and imp.domain))
    if _is_ip_host(link):
        build.attr(o, "ip", link.host.strip("[]"), to_ids=imp is not None)
    build.attr(o, "text", link.text)
    return o


def _is_ip_host(link: Link) -> bool:
    return is_ip(link.host)


def _origin(build: _Builder, hop: Hop | None) -> list[MISPObject]:
    """A domain-ip pair when the receiving server found the sending address's name."""
    if hop is None or not hop.ip or not hop.rdns:
        return []
    comment = f"sending server: reverse DNS as found by {hop.by or 'the receiver'}"
    o = build.obj("domain-ip", f"origin {hop.ip}", comment)
    build.attr(o, "hostname", hop.rdns)
    build.attr(o, "ip", hop.ip)
    return [o]


def explanation(report: Report) -> str:
    """The event report: what mailsleuth found, in English and Japanese (Markdown)."""
    lines = [f"# mailsleuth: {report.verdict} (score {report.score})", "",
             report.summary.get("en", ""), "", report.summary.get("ja", ""), "", "## Findings", "",
             "| id | group | score | explanation |", "|---|---|---|---|"]
    for f in report.findings:
        text = f.explanation.get("en", "").replace("|", "\\|")
        lines.append(f"| {f.id} | {f.group} | {f.score} | {text} |")
    lines += ["", "## Advice", "", report.advice.get("en", ""), "", report.advice.get("ja", "")]
    return "\n".join(lines)
