"""Links inside PDF attachments: the "document" lure whose only content is a button to a phishing page.

A PDF link is a ``/URI (...)`` action of a link annotation, either in the file as written or
inside a Flate-compressed object stream. An analyst opens the PDF and hovers the button; this
module reads the same URIs without rendering anything.

Written here rather than with a PDF library (pypdf and the like parse the whole document: page
tree, cross-reference repair, fonts) because only the URI actions are needed and hostile files
must cost a bounded, linear amount of work: the scan reads at most ``MAX_PDF`` bytes, inflates at
most ``MAX_STREAMS`` streams and ``MAX_INFLATED`` bytes in total, and stops at ``MAX_LINKS``.
Encrypted PDFs keep their strings encrypted: they yield nothing (and are reported as encrypted
by their own check).
"""

from __future__ import annotations

import re
import zlib

from .models import Link, ParsedMessage
from .urls import make_link

MAX_PDF = 8 * 1024 * 1024  # bytes of one attachment that are read
MAX_STREAMS = 400  # compressed streams inflated per file
MAX_INFLATED = 16 * 1024 * 1024  # bytes produced by inflating, per file
MAX_STREAM_OUT = 4 * 1024 * 1024  # bytes produced by one stream
MAX_LINKS = 50

_URI_RE = re.compile(rb"/URI\s*(?:\(((?:[^()\\]|\\.){1,2048})\)|<([0-9A-Fa-f\s]{2,4096})>)", re.S)
_STREAM_RE = re.compile(rb"stream\r?\n")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")",
            b"\\": b"\\"}
_ESCAPE_RE = re.compile(rb"\\([0-7]{1,3}|.)", re.S)


def is_pdf(data: bytes, content_type: str = "", filename: str | None = None) -> bool:
    return (data[:1024].lstrip().startswith(b"%PDF") or content_type == "application/pdf"
            or bool(filename and filename.lower().endswith(".pdf")))


def _literal(raw: bytes) -> bytes:
    def unescape(m: re.Match[bytes]) -> bytes:
        tok = m.group(1)
        if tok[:1].isdigit():
            return bytes([int(tok, 8) & 0xFF])
        return _ESCAPES.get(tok, tok if tok not in (b"\n", b"\r") else b"")

    return _ESCAPE_RE.sub(unescape, raw)


def _uris(chunk: bytes, out: list[str]) -> None:
    for m in _URI_RE.finditer(chunk):
        if m.group(1) is not None:
            value = _literal(m.group(1))
        else:
            hexdigits = re.sub(rb"\s+", b"", m.group(2))
            try:
                value = bytes.fromhex(hexdigits.decode("ascii") + ("0" if len(hexdigits) % 2 else ""))
            except ValueError:
                continue
        utf16 = value.startswith(b"\xfe\xff")  # a UTF-16BE text string
        text = (value[2:].decode("utf-16-be", "replace") if utf16 else value.decode("latin-1")).strip()
        if text and text not in out:
            out.append(text)
            if len(out) >= MAX_LINKS:
                return


def pdf_uris(data: bytes) -> list[str]:
    """The URIs of the link actions of one PDF, in the order found (deduplicated)."""
    data = data[:MAX_PDF]
    out: list[str] = []
    _uris(data, out)
    inflated = streams = 0
    pos = 0
    while len(out) < MAX_LINKS and streams < MAX_STREAMS and inflated < MAX_INFLATED:
        m = _STREAM_RE.search(data, pos)
        if m is None:
            break
        start = m.end()
        end = data.find(b"endstream", start)
        if end < 0:
            break
        pos = end + 9
        streams += 1
        try:
            body = zlib.decompressobj().decompress(data[start:end], min(MAX_STREAM_OUT, MAX_INFLATED - inflated))
        except zlib.error:
            continue  # not Flate (images, fonts in other filters): nothing to read
        inflated += len(body)
        if b"/URI" in body:
            _uris(body, out)
    return out[:MAX_LINKS]


MAX_ATTACHMENTS = 10  # PDF attachments read per message


def attachment_links(msg: ParsedMessage) -> list[Link]:
    """Links of the message's PDF attachments (source ``"pdf"``, text ``"PDF: name"``)."""
    out: list[Link] = []
    seen = 0
    for part in msg.parts:
        if not part.data or not is_pdf(part.data, part.content_type, part.filename):
            continue
        seen += 1
        if seen > MAX_ATTACHMENTS:
            break
        label = f"PDF: {part.filename or 'attachment'}"[:120]
        for uri in pdf_uris(part.data):
            link = make_link(uri, label, "pdf")
            if link is not None:
                out.append(link)
    return out
