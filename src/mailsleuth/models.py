"""Typed records that flow between the pipeline stages.

parse -> evidence -> checks -> scoring -> report.  Everything here is plain data:
no stage reaches back into an earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Verdict = Literal["phishing", "spam", "suspicious", "clean"]
Group = Literal["sender", "received", "auth", "links", "content", "structure"]


@dataclass(frozen=True, slots=True)
class Hop:
    """One parsed ``Received:`` header (facts as written by the receiving server)."""

    raw: str
    helo: str | None = None  # name the client gave in HELO/EHLO ("from X")
    rdns: str | None = None  # reverse DNS the receiving server found (None if "unknown")
    ip: str | None = None  # client IP address (IPv4 or IPv6, no brackets)
    by: str | None = None  # receiving server's name
    protocol: str | None = None  # "with ESMTP", "with SMTP", "with HTTP" ...
    id: str | None = None  # queue id
    for_addr: str | None = None  # envelope recipient ("for <x@y>")
    date: str | None = None  # date string as written (after ';'), ISO 8601 if parseable
    auth: bool = False  # the client authenticated (ESMTPA, ESMTPSA, "authenticated")


@dataclass(frozen=True, slots=True)
class Address:
    display_name: str  # normalised for matching (see normalize.fold)
    display_name_raw: str  # as decoded, for showing
    address: str  # lower-cased addr-spec, "" when none could be read
    domain: str  # lower-cased, IDNA decoded to Unicode where needed
    registrable_domain: str  # eTLD+1 from the Public Suffix List, "" when none


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    host: str
    registrable_domain: str
    text: str  # anchor text (HTML) or "" for plain-text URLs
    source: str  # "text", "href", "form", "img", "area", "pdf" (a link inside a PDF attachment) ...


CLICKABLE = ("href", "text", "form", "pdf")  # link sources a reader can follow; images are loaded, not clicked


@dataclass(slots=True)
class Finding:
    id: str
    group: Group
    score: float
    explanation: dict[str, str]  # {"ja": ..., "en": ...}
    evidence: list[str] = field(default_factory=list)
    confidence: float = 1.0


@dataclass(slots=True)
class Part:
    """One leaf of the MIME tree."""

    content_type: str  # lower-case "type/subtype"
    charset: str | None  # as declared, lower-case
    filename: str | None  # decoded attachment name
    disposition: str | None  # "inline" / "attachment" / None
    size: int  # bytes after transfer decoding
    text: str | None = None  # decoded text for text/* parts (None for binary parts)
    data: bytes = b""  # transfer-decoded payload for non-text parts


@dataclass(slots=True)
class ParsedMessage:
    """A message read once: decoded headers, text and HTML bodies, attachments, warnings."""

    headers: list[tuple[str, str]]  # (name as written, raw unfolded value) in order
    decoded: dict[str, list[str]]  # lower-case name -> decoded values (RFC 2047, charsets)
    parts: list[Part]
    warnings: list[str]
    size: int  # bytes of the raw message

    def get(self, name: str) -> str | None:
        values = self.decoded.get(name.lower())
        return values[0] if values else None

    def get_all(self, name: str) -> list[str]:
        return self.decoded.get(name.lower(), [])

    def raw(self, name: str) -> list[str]:
        lname = name.lower()
        return [v for k, v in self.headers if k.lower() == lname]

    @property
    def text_parts(self) -> list[str]:
        return [p.text for p in self.parts if p.text is not None and p.content_type == "text/plain"]

    @property
    def html_parts(self) -> list[str]:
        return [p.text for p in self.parts if p.text is not None and p.content_type == "text/html"]
