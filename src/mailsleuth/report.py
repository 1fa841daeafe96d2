"""The result of one analysis, and its JSON form (the contract described by
``schema/report.schema.json``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .enrich.auth import AuthResults
from .enrich.enricher import Enrichment
from .geo import Country
from .models import Address, Finding, Hop, Link, Verdict

if TYPE_CHECKING:
    from .enrich.hosting import LinkHosting
    from .enrich.online import OnlineResults

SCHEMA_VERSION = "1.0"


@dataclass(frozen=True, slots=True)
class BrandRef:
    id: str
    name: str
    name_en: str
    country: str
    official_domains: tuple[str, ...]
    role: str  # "impersonated" | "sender"


@dataclass(slots=True)
class Report:
    verdict: Verdict
    score: float
    summary: dict[str, str]
    brand: BrandRef | None
    subject: str
    subject_raw: str
    spam_stamps: list[str]
    sender: Address | None
    header_from: Address | None
    reply_to: list[Address]
    return_path: Address | None
    message_id: str
    message_id_domain: str
    origin: Hop | None
    origin_country: Country | None
    hops: list[Hop]
    links: list[Link]
    list_id: str
    findings: list[Finding]
    advice: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    enrichment: Enrichment | None = None
    auth: AuthResults | None = None  # online only
    hosting: list[LinkHosting] = field(default_factory=list)  # online only: where link hosts resolve
    online: OnlineResults | None = None  # online only: registrations, reputation, what was skipped

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "verdict": self.verdict,
            "score": self.score,
            "summary": self.summary,
            "brand": _brand(self.brand),
            "subject": self.subject,
            "subject_raw": self.subject_raw,
            "spam_stamps": self.spam_stamps,
            "sender": _address(self.sender),
            "headers": {
                "from": _address(self.header_from),
                "reply_to": [_address(a) for a in self.reply_to],
                "return_path": _address(self.return_path),
                "message_id": self.message_id,
                "message_id_domain": self.message_id_domain,
                "list_id": self.list_id or None,
            },
            "origin": _origin(self.origin, self.origin_country),
            "route": [_hop(h) for h in self.hops],
            "links": [_link(link) for link in self.links],
            "findings": [_finding(f) for f in self.findings],
            "advice": self.advice,
            "warnings": self.warnings,
            "enrichment": self.enrichment.to_dict() if self.enrichment else None,
            **({"auth": self.auth.to_dict()} if self.auth else {}),
            **({"hosting": [h.to_dict() for h in self.hosting]} if self.hosting else {}),
            **({"online": self.online.to_dict()} if self.online else {}),
        }


def _brand(b: BrandRef | None) -> dict[str, Any] | None:
    if b is None:
        return None
    return {"id": b.id, "name": b.name, "name_en": b.name_en, "country": b.country,
            "official_domains": list(b.official_domains), "role": b.role}


def _address(a: Address | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {"display_name": a.display_name_raw, "address": a.address, "domain": a.domain,
            "registrable_domain": a.registrable_domain}


def _hop(h: Hop) -> dict[str, Any]:
    return {"helo": h.helo, "rdns": h.rdns, "ip": h.ip, "by": h.by, "protocol": h.protocol, "id": h.id,
            "for": h.for_addr, "date": h.date, "auth": h.auth, "raw": " ".join(h.raw.split())}


def _origin(h: Hop | None, c: Country | None) -> dict[str, Any] | None:
    if h is None:
        return None
    return {"ip": h.ip, "helo": h.helo, "rdns": h.rdns, "by": h.by, "date": h.date,
            "country": c.code if c else None, "country_name": c.name if c else None,
            "geo_source": c.source if c else None}


def _link(link: Link) -> dict[str, Any]:
    return {"url": link.url, "host": link.host, "registrable_domain": link.registrable_domain,
            "text": link.text, "source": link.source}


def _finding(f: Finding) -> dict[str, Any]:
    return {"id": f.id, "group": f.group, "score": f.score, "confidence": f.confidence,
            "explanation": f.explanation, "evidence": f.evidence}
