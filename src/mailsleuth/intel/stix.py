"""A STIX 2.1 bundle of one analysed mail, built with the ``stix2`` library.

What the bundle holds (ids, timestamps and indicator choice: see :mod:`mailsleuth.intel`):

* **Observables** (SCOs, referenced directly as STIX 2.1 allows): ``email-message`` (subject as
  received, From, Sender, Date, Content-Type, Message-ID, the Received lines with the recipient
  redacted, Reply-To / Return-Path / X-Mailer / User-Agent in ``additional_header_fields``,
  a string each, a list when repeated);
  ``email-addr`` (From, Sender, Reply-To, Return-Path); ``domain-name`` (sender domain, link
  hosts and their registrable domains, the origin's reverse-DNS name with ``resolves_to_refs``);
  ``url`` for every link, raw (machine formats carry the real value, never a defanged one);
  ``ipv4-addr`` / ``ipv6-addr`` (origin, IP-literal link hosts).
* ``observed-data``: the mail, seen once.
* ``indicator`` per implicated URL, registrable domain and IP-literal link host, ``indicator_types``
  ``["malicious-activity"]``: the value of STIX's indicator-type-ov that fits ("phishing" is
  not in that vocabulary). A domain pattern also matches its subdomains.
* For a phishing verdict, an anonymous ``threat-actor`` stands for the sender: the indicators
  ``indicates`` it, and it ``impersonates`` the brand's ``identity`` - STIX 2.1 defines
  ``impersonates`` only from threat-actor to identity, and ``targets`` would make the brand the
  victim.
* ``report``: name = subject, description = English summary, ``report_types``
  ``["threat-report"]``, ``object_refs`` = all of the above. Its ``labels`` repeat the MISP tags
  (``mailsleuth:verdict="phishing"``, ``mailsleuth:brand="..."``); the custom properties
  ``x_mailsleuth_verdict``, ``x_mailsleuth_score`` and ``x_mailsleuth_findings`` (finding ids,
  highest score first) carry the verdict for machines. A ``language-content`` holds the
  Japanese summary.
* TLP:GREEN marks every object made for this mail. The producer (``identity`` "mailsleuth",
  class system, ``created_by_ref`` of every SDO and SRO) and the brand identity are shared
  reference objects: the same id and fixed timestamps in every bundle, so platforms merge them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

from stix2 import v21

from ..models import Address, Hop, Link
from ..report import BrandRef, Report
from . import (
    UNKNOWN_TIME,
    Context,
    Implicated,
    MailFacts,
    default_time,
    redact_received,
    stable_uuid,
    subject_or_placeholder,
)

__all__ = ["pattern_literal", "stix_bundle"]

REFERENCE_TIME = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
PRODUCER_ID = f"identity--{stable_uuid('identity', 'mailsleuth')}"
MARKING = v21.TLP_GREEN
INDICATOR_TYPES = ["malicious-activity"]


class _Objects:
    """The objects of one bundle by id, first one kept, in the order they were added."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.by_id: dict[str, Any] = {}

    def add(self, obj: Any) -> str:
        self.by_id.setdefault(str(obj.id), obj)
        return str(obj.id)

    def sdo(self, kind: str, *role: str) -> dict[str, Any]:
        """The common properties of an SDO or SRO made for this mail."""
        return {"id": f"{kind}--{self.ctx.uuid(kind, *role)}", "created": self.ctx.when, "modified": self.ctx.when,
                "created_by_ref": PRODUCER_ID, "object_marking_refs": [MARKING.id]}

    def ids(self, *types: str) -> list[str]:
        return [i for i in self.by_id if i.split("--", 1)[0] in types]


def stix_bundle(report: Report, ctx: Context) -> str:
    """The JSON text of the bundle (pretty, STIX property order, UTF-8 characters as they are)."""
    objs = _Objects(ctx)
    objs.add(MARKING)
    objs.add(_producer())
    observables = _observables(objs, report, ctx.facts)
    observed = observed_time(report, ctx)
    objs.add(v21.ObservedData(**objs.sdo("observed-data"), first_observed=observed, last_observed=observed,
                              number_observed=1, object_refs=observables))
    indicators = [i for imp in ctx.implicated for i in _indicator(objs, imp, observed)]
    brand_id = _brand(objs, report.brand)
    _actor(objs, report, list(dict.fromkeys(indicators)), brand_id)
    report_id = objs.add(_report(objs, report))
    objs.add(v21.LanguageContent(**objs.sdo("language-content"), object_ref=report_id, object_modified=ctx.when,
                                 contents={"ja": {"description": report.summary.get("ja", "")}}))
    bundle = v21.Bundle(objects=list(objs.by_id.values()), id=f"bundle--{ctx.uuid('bundle')}", allow_custom=True)
    return str(bundle.serialize(pretty=True, ensure_ascii=False))


def observed_time(report: Report, ctx: Context) -> dt.datetime:
    """When the mail was seen: the mail's own time when known, else the bundle's time."""
    moment = default_time(report, ctx.facts)
    return ctx.when if moment == UNKNOWN_TIME else moment


def pattern_literal(value: str) -> str:
    """A STIX patterning string literal: quoted, with ``\\`` and ``'`` escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# ---------------------------------------------------------------------------------- observables
def _observables(objs: _Objects, report: Report, facts: MailFacts) -> list[str]:
    refs: list[str | None] = [_email_message(objs, report, facts)]
    for addr in (report.header_from, report.sender, *report.reply_to, report.return_path):
        refs.append(_address(objs, addr))
    for a in (report.header_from, report.sender):
        refs.append(_domain(objs, a.domain if a else ""))
    refs.extend(_origin(objs, report.origin))
    for link in report.links:
        refs.extend(_link(objs, link))
    return list(dict.fromkeys(r for r in refs if r))


def _marked(**props: Any) -> dict[str, Any]:
    return {k: v for k, v in props.items() if v not in (None, "", [], {})} | {"object_marking_refs": [MARKING.id]}


def _email_message(objs: _Objects, report: Report, facts: MailFacts) -> str:
    sender = Address("", facts.sender[0], facts.sender[1], "", "") if facts.sender else None
    return objs.add(v21.EmailMessage(**_marked(
        is_multipart=facts.is_multipart, date=facts.date, content_type=facts.content_type,
        from_ref=_address(objs, report.header_from), sender_ref=_address(objs, sender),
        message_id=report.message_id, subject=report.subject_raw,
        received_lines=[redact_received(h.raw) for h in report.hops],
        additional_header_fields=_header_fields(report, facts))))


def _header_fields(report: Report, facts: MailFacts) -> dict[str, str | list[str]]:
    """Headers STIX has no property for: a string for a header seen once, a list for a repeated
    one (the shape the OASIS JSON schema accepts)."""
    fields: dict[str, list[str]] = {"Reply-To": [_mailbox_text(a) for a in report.reply_to]}
    if report.return_path is not None:
        fields["Return-Path"] = [f"<{report.return_path.address}>"]
    fields |= facts.extra_headers
    return {name: values[0] if len(values) == 1 else values for name, values in fields.items() if values}


def _mailbox_text(a: Address) -> str:
    """``Name <addr>`` decoded (no RFC 2047 words: STIX wants decoded header values)."""
    return f"{a.display_name_raw} <{a.address}>" if a.display_name_raw else a.address


def _address(objs: _Objects, a: Address | None) -> str | None:
    if a is None or "@" not in a.address:
        return None
    return objs.add(v21.EmailAddress(**_marked(value=a.address, display_name=a.display_name_raw)))


def _domain(objs: _Objects, name: str, resolves_to: str | None = None) -> str | None:
    if not name:
        return None
    return objs.add(v21.DomainName(**_marked(value=name, resolves_to_refs=[resolves_to] if resolves_to else None)))


def _ip_type(value: str) -> str | None:
    """``ipv4-addr`` or ``ipv6-addr`` for an IP address, None for anything else."""
    try:
        ip = ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return None
    return "ipv4-addr" if ip.version == 4 else "ipv6-addr"


def _ip(objs: _Objects, value: str) -> str | None:
    kind = _ip_type(value)
    if kind is None:
        return None
    cls = v21.IPv4Address if kind == "ipv4-addr" else v21.IPv6Address
    return objs.add(cls(**_marked(value=str(ipaddress.ip_address(value.strip("[]"))))))


def _origin(objs: _Objects, hop: Hop | None) -> list[str | None]:
    """The sending server's address and, when the receiving server found it, its name."""
    if hop is None or not hop.ip:
        return []
    ip_id = _ip(objs, hop.ip)
    return [ip_id, _domain(objs, hop.rdns or "", ip_id)]


def _link(objs: _Objects, link: Link) -> list[str | None]:
    refs: list[str | None] = [objs.add(v21.URL(**_marked(value=link.url)))]
    refs.append(_ip(objs, link.host) or _domain(objs, link.host))
    if link.registrable_domain != link.host:
        refs.append(_domain(objs, link.registrable_domain))
    return refs


# ---------------------------------------------------------------------------------- intelligence
def _indicator(objs: _Objects, imp: Implicated, valid_from: dt.datetime) -> list[str]:
    """The indicators for one implicated link or sender: URL, IP-literal host, registrable domain."""
    made = []
    if imp.url:
        pattern = f"[url:value = {pattern_literal(imp.url)}]"
        made.append(objs.add(_make_indicator(objs, "url", imp.url, pattern, imp, valid_from)))
    ip_type = _ip_type(imp.host) if imp.url else None
    if ip_type:
        pattern = f"[{ip_type}:value = {pattern_literal(imp.host.strip('[]'))}]"
        made.append(objs.add(_make_indicator(objs, "ip", imp.host.strip("[]"), pattern, imp, valid_from)))
    if imp.domain:
        d = imp.domain
        pattern = f"[domain-name:value = {pattern_literal(d)} OR domain-name:value LIKE {pattern_literal('%.' + d)}]"
        made.append(objs.add(_make_indicator(objs, "domain", d, pattern, imp, valid_from)))
    return made


def _make_indicator(objs: _Objects, kind: str, value: str, pattern: str, imp: Implicated,
                    valid_from: dt.datetime) -> Any:
    what = {"url": "URL", "ip": "address"}.get(kind, "domain")
    where = "Sender domain of" if imp.role == "sender" else "Linked from"
    return v21.Indicator(
        **objs.sdo("indicator", kind, value), name=f"Phishing {what} {value}",
        description=f"{where} a phishing mail; named by the findings {', '.join(imp.finding_ids)}.",
        indicator_types=INDICATOR_TYPES, pattern=pattern, pattern_type="stix", pattern_version="2.1",
        valid_from=valid_from, x_mailsleuth_findings=list(imp.finding_ids), allow_custom=True)


def _producer() -> Any:
    return v21.Identity(id=PRODUCER_ID, created=REFERENCE_TIME, modified=REFERENCE_TIME, name="mailsleuth",
                        identity_class="system",
                        description="mailsleuth: tells whether an email is phishing and explains why.")


def _brand(objs: _Objects, brand: BrandRef | None) -> str | None:
    """The impersonated brand as an organisation (a reference object shared by all bundles)."""
    if brand is None or brand.role != "impersonated":
        return None
    return objs.add(v21.Identity(
        id=f"identity--{stable_uuid('identity', 'brand', brand.id)}", created=REFERENCE_TIME,
        modified=REFERENCE_TIME, created_by_ref=PRODUCER_ID, name=brand.name_en, identity_class="organization",
        description=f"{brand.name} (mailsleuth brand id: {brand.id})"))


def _actor(objs: _Objects, report: Report, indicators: list[str], brand_id: str | None) -> None:
    """For a phishing verdict: the unknown sender, what indicates it, and whom it impersonates."""
    if report.verdict != "phishing":
        return
    mail = report.message_id or f"\"{subject_or_placeholder(report)}\""
    actor = objs.add(v21.ThreatActor(
        **objs.sdo("threat-actor"), name=f"Unknown sender of phishing mail {mail}",
        description="Stands for whoever sent this one mail; nothing else is known about them."))
    for ind in indicators:
        objs.add(_relationship(objs, ind, "indicates", actor))
    if brand_id:
        objs.add(_relationship(objs, actor, "impersonates", brand_id))


def _relationship(objs: _Objects, source: str, kind: str, target: str) -> Any:
    return v21.Relationship(**objs.sdo("relationship", kind, source, target), relationship_type=kind,
                            source_ref=source, target_ref=target)


def _report(objs: _Objects, report: Report) -> Any:
    refs = [i for i in objs.by_id if not i.startswith("marking-definition--") and i != PRODUCER_ID]
    labels = [f'mailsleuth:verdict="{report.verdict}"']
    if report.brand is not None and report.brand.role == "impersonated":
        labels.append(f'mailsleuth:brand="{report.brand.name}"')
    return v21.Report(
        **objs.sdo("report"), name=subject_or_placeholder(report), description=report.summary.get("en", ""),
        lang="en", report_types=["threat-report"], published=objs.ctx.when, object_refs=refs, labels=labels,
        x_mailsleuth_verdict=report.verdict, x_mailsleuth_score=report.score,
        x_mailsleuth_findings=[f.id for f in report.findings], allow_custom=True)
