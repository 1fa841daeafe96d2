"""Read a raw mail once, tolerantly: headers, the MIME tree, text in whatever charset it came.

A small splitter of its own (headers and boundaries found with ``bytes.find`` over one buffer,
no copies of nested bodies) instead of the stdlib ``email`` package: it is faster, keeps raw
header bytes, caps its work (parts, depth, text length) so time stays linear in the input, and
says what it could not read in ``ParsedMessage.warnings`` instead of raising.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass, field

from .charsets import decode_b64_lenient, decode_header_value, decode_raw_runs, decode_text, header_hint
from .models import ParsedMessage, Part

__all__ = ["MAX_DEPTH", "MAX_PARTS", "MAX_TEXT_CHARS", "parse_addresses", "parse_message"]

MAX_PARTS = 500  # leaves (and message/rfc822 entries) listed; the rest is skipped
MAX_DEPTH = 40  # nesting of multiparts and enclosed messages
MAX_TEXT_CHARS = 1_000_000  # decoded characters kept per text part
MAX_TEXT_BYTES = 4 * MAX_TEXT_CHARS  # transfer-decoded bytes handed to the charset decoder
MAX_HEADERS = 5_000  # header fields read per header block
MAX_ADDRESS_CHARS = 100_000  # of one address header

# A header field name: printable ASCII but ':', at the start of a line (space before ':' seen).
_FIELD_RE = re.compile(rb"([!-9;-~]+)[ \t]*:")
_WS_RE = re.compile(r"\s+")
# Parameters: name=value, name="quoted", name*=charset'lang'%xx, name*0*=...
_PARAM_RE = re.compile(r"""([^\s=;"]+)\s*=\s*("(?:[^"\\]|\\.)*(?:"|$)|[^;]*)""")
_PARAM_NAME_RE = re.compile(r"^([^*]+)(?:\*(\d+))?(\*)?$")
_PCT_RE = re.compile(rb"%([0-9A-Fa-f]{2})")
_QUOTED_PAIR_RE = re.compile(r'\\([\\"])')  # only \\ and \": Windows paths keep their backslashes
_META_CHARSET_RE = re.compile(
    rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_CTE_TOKEN_RE = re.compile(r"[a-z0-9_-]+")
_QP_SPACE_BREAK_RE = re.compile(rb"=[ \t]+(?=\r?\n)")
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n\t "
# A line that could be a boundary, for multiparts whose declared boundary never appears.
_GUESS_BOUNDARY_RE = re.compile(rb"(?m)^--(\S[^\r\n]{4,68}?)[ \t]*\r?\n[Cc]ontent-")

_TEXTUAL_MESSAGE = frozenset(
    {
        "message/delivery-status",
        "message/global-delivery-status",
        "message/disposition-notification",
        "message/global-disposition-notification",
        "message/feedback-report",
        "message/global-headers",
    }
)
_ENCLOSED = frozenset({"message/rfc822", "message/global", "message/news"})
_IDENTITY_CTE = frozenset({"", "7bit", "8bit", "binary", "7-bit", "8-bit", "none", "plain", "text"})


@dataclass(slots=True)
class _Ctx:
    parts: list[Part] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped_parts: bool = False
    too_deep: bool = False

    def warn(self, text: str) -> None:
        if len(self.warnings) < 200 and text not in self.warnings:
            self.warnings.append(text)


@dataclass(slots=True)
class _Entity:
    headers: list[tuple[str, str]]
    body_start: int
    body_end: int
    missing_separator: bool


# ---------------------------------------------------------------------------------------------
# Header blocks


def _read_headers(buf: bytes, start: int, end: int, *, top: bool = False) -> _Entity:
    """Read the header block at ``buf[start:end]``.  The body starts after the first blank line,
    or at the first line that is neither a field nor a continuation (then ``missing_separator``)."""
    headers: list[tuple[str, str]] = []
    name: str | None = None
    chunks: list[bytes] = []
    pos = start
    missing = False
    first = True
    while pos < end:
        nl = buf.find(b"\n", pos, end)
        line_end = nl if nl >= 0 else end
        next_pos = nl + 1 if nl >= 0 else end
        line = buf[pos:line_end]
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            pos = next_pos
            break
        c = line[0]
        if c in (0x20, 0x09):
            if name is not None:
                chunks.append(line)
                pos = next_pos
                continue
            missing = bool(headers) or not first
            break
        m = _FIELD_RE.match(line)
        if m is None:
            if first and top and line.startswith((b"From ", b">From ")):
                pos = next_pos  # mbox separator line
                first = False
                continue
            missing = True
            break
        first = False
        if name is not None:
            headers.append((name, _raw_value(chunks)))
        if len(headers) >= MAX_HEADERS:
            name = None
            pos = end
            break
        name = m.group(1).decode("ascii")
        chunks = [line[m.end() :]]
        pos = next_pos
    if name is not None:
        headers.append((name, _raw_value(chunks)))
    return _Entity(headers, min(pos, end), end, missing)


def _raw_value(chunks: list[bytes]) -> str:
    """Unfold (drop the line breaks, keep the whitespace) and keep every byte recoverable:
    valid UTF-8 reads as text, other bytes as surrogate escapes."""
    raw = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if raw.isascii():
        return raw.decode("ascii").strip()
    return raw.decode("utf-8", "surrogateescape").strip()


def _first_value(headers: list[tuple[str, str]], lname: str) -> str | None:
    for name, value in headers:
        if name.lower() == lname:
            return value
    return None


def _all_values(headers: list[tuple[str, str]], lname: str) -> list[str]:
    return [value for name, value in headers if name.lower() == lname]


# ---------------------------------------------------------------------------------------------
# Content-Type and friends


def _unquote(value: str) -> str:
    value = value.strip()
    if value.startswith('"'):
        value = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
        if "\\" in value:
            value = _QUOTED_PAIR_RE.sub(r"\1", value)
    return value


def _parse_params(text: str) -> dict[str, str]:
    """Parameters of a structured header (``; name=value ...``), RFC 2231 included.  Names are
    lower-case; values unquoted; extended values (``name*=utf-8''%E3...``, continuations
    ``name*0*=``) decoded."""
    plain: dict[str, str] = {}
    pieces: dict[str, list[tuple[int, bool, str]]] = {}
    for m in _PARAM_RE.finditer(text):
        key = m.group(1).lower().lstrip(";")
        raw = m.group(2)
        quoted = raw.lstrip().startswith('"')
        value = _unquote(raw) if quoted else raw.strip()
        nm = _PARAM_NAME_RE.match(key)
        if nm is None or (nm.group(2) is None and nm.group(3) is None):
            plain.setdefault(key, value)
            continue
        base = nm.group(1)
        index = int(nm.group(2)) if nm.group(2) is not None and len(nm.group(2)) < 4 else 0
        pieces.setdefault(base, []).append((index, nm.group(3) is not None, value))
    for base, parts in pieces.items():
        decoded = _rfc2231(sorted(parts, key=lambda p: p[0]))
        if decoded:
            plain[base] = decoded
    return plain


def _rfc2231(parts: list[tuple[int, bool, str]]) -> str:
    charset: str | None = None
    data: list[bytes] = []
    for n, (_index, extended, value) in enumerate(parts):
        if extended:
            if n == 0 and value.count("'") >= 2:
                charset, _lang, value = value.split("'", 2)
            raw = value.encode("utf-8", "surrogateescape")
            data.append(_PCT_RE.sub(lambda m: bytes([int(m.group(1), 16)]), raw))
        else:
            data.append(value.encode("utf-8", "surrogateescape"))
    result = decode_text(b"".join(data), charset or None)
    return result.text


@dataclass(slots=True)
class _Type:
    ctype: str
    params: dict[str, str]
    charset: str | None  # as declared, lower-case, unquoted


def _content_type(headers: list[tuple[str, str]], default: str, ctx: _Ctx, where: str) -> _Type:
    values = _all_values(headers, "content-type")
    if not values:
        return _Type(default, {}, None)
    if len(values) > 1 and len({_WS_RE.sub("", v.lower()) for v in values}) > 1:
        ctx.warn(f"{where}: {len(values)} different Content-Type headers; the first one was used")
    value = values[0]
    head, _sep, rest = value.partition(";")
    params = _parse_params(rest) if rest else {}
    first, _space, more = head.strip().partition(" ")
    if "=" in more:  # parameters without the ';': "multipart/mixed boundary=x"
        head = first
        params = {**_parse_params(more), **params}
    ctype = _WS_RE.sub("", head).strip("\"'").lower()
    if "/" not in ctype:
        # A type without a subtype.
        if ctype in ("text", "plain", "") and "boundary" not in params:
            ctype = "text/plain"
        elif ctype == "html":
            ctype = "text/html"
        elif ctype.startswith("multipart") or "boundary" in params:
            ctype = "multipart/mixed"
        else:
            ctx.warn(f"{where}: Content-Type {value[:60]!r} has no subtype; read as text/plain")
            ctype = "text/plain"
    else:
        main, _slash, sub = ctype.partition("/")
        sub = sub.split("/", 1)[0]
        if not main:
            ctype = default
        elif not sub:
            ctype = "multipart/mixed" if main == "multipart" else f"{main}/plain"
        else:
            ctype = f"{main}/{sub}"
    charset = params.get("charset")
    if charset is not None:
        charset = charset.strip().strip("\"'").lower() or None
    return _Type(ctype, params, charset)


def _disposition(headers: list[tuple[str, str]]) -> tuple[str | None, dict[str, str]]:
    value = _first_value(headers, "content-disposition")
    if value is None:
        return None, {}
    head, _sep, rest = value.partition(";")
    disp = head.strip().strip("\"'").lower() or None
    return disp, (_parse_params(rest) if rest else {})


def _filename(ctype: _Type, disp_params: dict[str, str]) -> str | None:
    raw = disp_params.get("filename") or ctype.params.get("name")
    if not raw:
        return None
    text, _bad = decode_header_value(raw)
    return text.strip() or None


# ---------------------------------------------------------------------------------------------
# Transfer encodings


def _transfer_decode(payload: bytes, cte: str | None, ctx: _Ctx, where: str) -> bytes:
    enc = (cte or "").strip().strip("\"'").lower()
    m = _CTE_TOKEN_RE.match(enc)
    enc = m.group(0) if m else enc  # "8bit+", "base64;" ...
    if enc in _IDENTITY_CTE:
        return payload
    if enc in ("base64", "base-64", "b64", "x-base64"):
        junk = len(payload.translate(None, _B64_ALPHABET))
        if junk > 16 and junk * 20 > len(payload):
            ctx.warn(f"{where}: declared base64 but is not; read as it is")
            return payload
        data, damaged = decode_b64_lenient(payload)
        if damaged:
            ctx.warn(f"{where}: base64 damaged or truncated; decoded what could be read")
        return data
    if enc in ("quoted-printable", "quoted_printable", "qp", "x-quoted-printable"):
        if b"= " in payload or b"=\t" in payload:
            payload = _QP_SPACE_BREAK_RE.sub(b"=", payload)
        return binascii.a2b_qp(payload)
    if enc in ("x-uuencode", "uuencode", "x-uue", "uue"):
        return _uudecode(payload, ctx, where)
    ctx.warn(f"{where}: unknown Content-Transfer-Encoding {enc[:40]!r}; read as it is")
    return payload


def _uudecode(payload: bytes, ctx: _Ctx, where: str) -> bytes:
    out: list[bytes] = []
    started = False
    for line in payload.splitlines():
        if not started:
            started = line.startswith(b"begin ")
            continue
        if line.strip() in (b"end", b"`", b""):
            if line.strip() == b"end":
                break
            continue
        try:
            out.append(binascii.a2b_uu(line))
        except binascii.Error:
            ctx.warn(f"{where}: uuencoded data damaged")
    return b"".join(out)


# ---------------------------------------------------------------------------------------------
# The tree


def _split_multipart(
    buf: bytes, start: int, end: int, boundary: bytes
) -> tuple[list[tuple[int, int]], bool]:
    """Bodies of the parts of a multipart body at ``buf[start:end]``, and whether the close
    delimiter was seen.  A delimiter line is ``--boundary`` (or ``--boundary--``) at the start of
    a line, followed by nothing but whitespace."""
    delim = b"--" + boundary
    dlen = len(delim)
    found: list[tuple[int, int]] = []  # (delimiter line start, content start after it)
    closed = False
    pos = start
    while True:
        i = buf.find(delim, pos, end)
        if i < 0:
            break
        if i > start and buf[i - 1] != 0x0A:
            pos = i + 1
            continue
        j = i + dlen
        is_close = buf.startswith(b"--", j, end)
        k = j + 2 if is_close else j
        nl = buf.find(b"\n", k, end)
        line_end = nl if nl >= 0 else end
        if not buf[k:line_end].isspace() and k != line_end:
            pos = j
            continue
        found.append((i, nl + 1 if nl >= 0 else end))
        if is_close:
            closed = True
            break
        if len(found) > MAX_PARTS + 1:
            break
        pos = line_end
    bodies: list[tuple[int, int]] = []
    for n in range(len(found) - 1 if closed else len(found)):
        content_start = found[n][1]
        if n + 1 < len(found):
            content_end = found[n + 1][0]
            # The line break before a delimiter belongs to the delimiter.
            if content_end > content_start and buf[content_end - 1] == 0x0A:
                content_end -= 1
                if content_end > content_start and buf[content_end - 1] == 0x0D:
                    content_end -= 1
        else:
            content_end = end
        bodies.append((content_start, max(content_start, content_end)))
    return bodies, closed


class _Walker:
    def __init__(self, ctx: _Ctx) -> None:
        self.ctx = ctx

    def entity(self, buf: bytes, ent: _Entity, depth: int, default: str) -> None:
        ctx = self.ctx
        if len(ctx.parts) >= MAX_PARTS:
            if not ctx.skipped_parts:
                ctx.skipped_parts = True
                ctx.warn(f"more than {MAX_PARTS} parts: rest skipped")
            return
        where = f"part {len(ctx.parts) + 1}"
        ctype = _content_type(ent.headers, default, ctx, where)
        if ctype.ctype.startswith("multipart/"):
            self.multipart(buf, ent, ctype, depth)
        elif ctype.ctype in _ENCLOSED:
            self.enclosed(buf, ent, ctype, depth)
        else:
            self.leaf(buf[ent.body_start : ent.body_end], ent.headers, ctype)

    def _nest(self, depth: int) -> bool:
        if depth >= MAX_DEPTH:
            if not self.ctx.too_deep:
                self.ctx.too_deep = True
                self.ctx.warn(f"part nesting deeper than {MAX_DEPTH}: rest skipped")
            return False
        return True

    def multipart(self, buf: bytes, ent: _Entity, ctype: _Type, depth: int) -> None:
        ctx = self.ctx
        boundary_text = ctype.params.get("boundary", "").strip()
        if not boundary_text:
            ctx.warn(f"{ctype.ctype} without a boundary: body read as text")
            self._as_text(buf[ent.body_start : ent.body_end], ent.headers)
            return
        if not self._nest(depth):
            return
        boundary = boundary_text.encode("utf-8", "surrogateescape")
        bodies, closed = _split_multipart(buf, ent.body_start, ent.body_end, boundary)
        if not bodies and not closed:
            m = _GUESS_BOUNDARY_RE.search(buf, ent.body_start, min(ent.body_end, ent.body_start + 65536))
            if m is not None:
                used = m.group(1)[:70].decode("latin-1")
                ctx.warn(f"boundary {boundary_text[:70]!r} not found; used {used!r}")
                bodies, closed = _split_multipart(buf, ent.body_start, ent.body_end, m.group(1))
        if not bodies:
            if closed:
                ctx.warn(f"{ctype.ctype} has no parts")
                return
            ctx.warn(f"boundary {boundary_text[:70]!r} not found: body read as text")
            self._as_text(buf[ent.body_start : ent.body_end], ent.headers)
            return
        if not closed:
            ctx.warn(f"boundary {boundary_text[:70]!r} never closed (message truncated?)")
        child_default = "message/rfc822" if ctype.ctype == "multipart/digest" else "text/plain"
        for s, e in bodies:
            if len(ctx.parts) >= MAX_PARTS:
                self.entity(buf, _Entity([], s, s, False), depth + 1, child_default)  # warns once
                break
            child = _read_headers(buf, s, e)
            self.entity(buf, child, depth + 1, child_default)

    def _as_text(self, body: bytes, headers: list[tuple[str, str]]) -> None:
        """A multipart body that cannot be split: one text part (HTML if it looks like HTML)."""
        head = body[:4096].lower()
        html = b"<html" in head or b"<body" in head or b"<!doctype html" in head
        self.leaf(body, headers, _Type("text/html" if html else "text/plain", {}, None))

    def enclosed(self, buf: bytes, ent: _Entity, ctype: _Type, depth: int) -> None:
        ctx = self.ctx
        where = f"{ctype.ctype} part {len(ctx.parts) + 1}"
        cte = _first_value(ent.headers, "content-transfer-encoding")
        payload = _transfer_decode(buf[ent.body_start : ent.body_end], cte, ctx, where)
        disp, disp_params = _disposition(ent.headers)
        ctx.parts.append(
            Part(content_type=ctype.ctype, charset=ctype.charset, filename=_filename(ctype, disp_params),
                 disposition=disp, size=len(payload), data=payload)
        )
        if not self._nest(depth):
            return
        inner = _read_headers(payload, 0, len(payload))
        if not inner.headers:
            ctx.warn(f"{where}: enclosed message has no headers")
        self.entity(payload, inner, depth + 1, "text/plain")

    def leaf(self, payload: bytes, headers: list[tuple[str, str]], ctype: _Type) -> None:
        ctx = self.ctx
        index = len(ctx.parts) + 1
        where = f"{ctype.ctype} part {index}"
        cte = _first_value(headers, "content-transfer-encoding")
        data = _transfer_decode(payload, cte, ctx, where)
        disp, disp_params = _disposition(headers)
        filename = _filename(ctype, disp_params)
        main = ctype.ctype.split("/", 1)[0]
        if main == "text" or ctype.ctype in _TEXTUAL_MESSAGE:
            text = self._text(data, ctype, where)
            ctx.parts.append(Part(content_type=ctype.ctype, charset=ctype.charset, filename=filename,
                                  disposition=disp, size=len(data), text=text))
        else:
            ctx.parts.append(Part(content_type=ctype.ctype, charset=ctype.charset, filename=filename,
                                  disposition=disp, size=len(data), data=data))

    def _text(self, data: bytes, ctype: _Type, where: str) -> str:
        ctx = self.ctx
        truncated = False
        if len(data) > MAX_TEXT_BYTES:
            cut = data.rfind(b"\n", MAX_TEXT_BYTES - 4096, MAX_TEXT_BYTES)
            data = data[: cut if cut > 0 else MAX_TEXT_BYTES]
            truncated = True
        declared = ctype.charset
        if declared is None and ctype.ctype == "text/html":
            m = _META_CHARSET_RE.search(data, 0, 4096)
            if m is not None:
                declared = m.group(1).decode("ascii").lower()
        result = decode_text(data, declared)
        text = result.text
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        if len(text) > MAX_TEXT_CHARS:
            text = text[:MAX_TEXT_CHARS]
            truncated = True
        if result.note:
            ctx.warn(f"{where}: {result.note}")
        if result.bad:
            ctx.warn(f"{where}: {result.bad} bytes undecodable as {result.charset}")
        if truncated:
            ctx.warn(f"{where}: text longer than {MAX_TEXT_CHARS} characters: truncated")
        return text


# ---------------------------------------------------------------------------------------------
# Public API


_BINARY_CONTROLS = bytes([*range(0x01, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])


def _looks_binary(data: bytes) -> bool:
    sample = data[:4096]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _BINARY_CONTROLS))
    return controls * 20 > len(sample)


def _normalize_newlines(data: bytes) -> bytes:
    """Mail with bare CR line ends (old Mac mailers) would otherwise be one long header line."""
    head = data[:8192]
    if b"\n" not in head and b"\r" in head:
        return data.replace(b"\r", b"\n")
    return data


def parse_message(data: bytes) -> ParsedMessage:
    """Parse a raw mail.  Never raises: what cannot be read is said in ``warnings``."""
    if not isinstance(data, bytes):
        data = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else bytes(data)
    ctx = _Ctx()
    headers: list[tuple[str, str]] = []
    decoded: dict[str, list[str]] = {}
    try:
        headers = _parse(data, ctx, decoded)
    except RecursionError:
        ctx.warn("part nesting too deep for the parser: rest skipped")
    except Exception as exc:  # last resort: a parser bug must not lose the mail
        ctx.warn(f"internal parser error ({type(exc).__name__}): rest skipped, please report")
    return ParsedMessage(headers=headers, decoded=decoded, parts=ctx.parts, warnings=ctx.warnings,
                         size=len(data))


def _parse(data: bytes, ctx: _Ctx, decoded: dict[str, list[str]]) -> list[tuple[str, str]]:
    buf = _normalize_newlines(data)
    if not buf.strip():
        ctx.warn("not an email: empty input")
        return []
    top = _read_headers(buf, 0, len(buf), top=True)
    headers = top.headers
    if len(headers) >= MAX_HEADERS:
        ctx.warn(f"more than {MAX_HEADERS} header fields: rest skipped")
    if not headers:
        ctx.warn("not an email: no header lines found")
        body = buf[top.body_start :]
        if _looks_binary(body):
            ctx.parts.append(Part(content_type="application/octet-stream", charset=None, filename=None,
                                  disposition=None, size=len(body), data=body))
            return headers
    elif top.missing_separator:
        ctx.warn("header block not ended by a blank line: the rest was read as body")
    _Walker(ctx).entity(buf, top, 0, "text/plain")
    # Raw 8-bit header bytes are most likely in the charset the text parts declare.
    hint = next((h for h in (header_hint(p.charset) for p in ctx.parts if p.charset) if h), None)
    for name, value in headers:
        text, bad = decode_header_value(value, hint)
        if "\r" in text or "\n" in text:
            text = text.replace("\r", "").replace("\n", " ")
        lname = name.lower()
        decoded.setdefault(lname, []).append(text)
        # Filter reports (X-Spam-Report ...) quote the body cut at a byte count: damage there is
        # the filter's, not the mail's.
        if bad and not lname.startswith("x-spam-"):
            ctx.warn(f"header {name}: {bad} bytes undecodable")
    return headers


def parse_addresses(raw_value: str) -> list[tuple[str, str]]:
    """Addresses of a raw address header value: ``[(decoded display name, addr-spec)]``.

    Tolerant: quoted and encoded display names (also encoded words inside quotes), comments,
    groups, unquoted commas in names, a missing ``>``, several ``<...>`` (the last one is the
    address; the rest is part of the name shown).  The addr-spec is returned as written
    (stripped, not lower-cased), ``""`` when there is none.  Never raises.
    """
    try:
        return _parse_addresses(raw_value[:MAX_ADDRESS_CHARS])
    except Exception:  # last resort: never raise on header text
        return []


_ADDR_TOKEN_RE = re.compile(
    r'"(?:[^"\\]|\\.)*(?:"|$)|\((?:[^()\\]|\\.)*(?:\)|$)|<[^>]*(?:>|$)|[,;:]|[^",;:<(]+|[\s\S]'
)


def _parse_addresses(value: str) -> list[tuple[str, str]]:
    value = decode_raw_runs(value)  # raw Shift_JIS / JIS bytes hold '@', '\\', '(', '<' ...
    tokens = _ADDR_TOKEN_RE.findall(value)
    groups_possible = ";" in value
    chunks: list[list[str]] = [[]]
    addressy = False  # the current chunk holds "@" or "<" outside comments (kept as we go: linear)
    for tok in tokens:
        if tok in (",", ";"):
            chunks.append([])
            addressy = False
        elif tok == ":":
            if groups_possible and not addressy:
                chunks[-1] = []  # group name: dropped, its members follow
            else:
                chunks[-1].append(tok)
        else:
            chunks[-1].append(tok)
            if not tok.startswith("(") and ("@" in tok or "<" in tok):
                addressy = True
    out: list[tuple[str, str]] = []
    carry: list[str] = []
    for chunk in chunks:
        chunk = carry + chunk
        carry = []
        if not "".join(chunk).strip():
            continue
        angle = [i for i, t in enumerate(chunk) if t.startswith("<")]
        words = [t for t in chunk if not t.startswith("(")]
        if not angle and "@" not in "".join(words):
            carry = [*chunk, ","]  # "Amazon, Inc <a@b>": a comma inside an unquoted name
            continue
        out.append(_one_address(chunk, angle))
    if carry and "".join(carry[:-1]).strip():
        text = "".join(_word(t) for t in carry[:-1] if not t.startswith("(")).strip(" \t,")
        if _LOCAL_PART_RE.match(text):  # "MAILER-DAEMON", "postmaster": an address without domain
            out.append(("", text))
        else:
            out.append((_display(text), ""))
    return out


_LOCAL_PART_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")


def _word(tok: str) -> str:
    if tok.startswith('"'):
        return _unquote(tok)
    return tok


def _display(raw: str) -> str:
    text, _bad = decode_header_value(_WS_RE.sub(" ", raw).strip().rstrip(","))
    return text.strip()


def _one_address(chunk: list[str], angle: list[int]) -> tuple[str, str]:
    if angle:
        last = angle[-1]
        addr = chunk[last][1:]
        if addr.endswith(">"):
            addr = addr[:-1]
        addr = addr.strip()
        if ":" in addr and addr.startswith("@"):  # obsolete source route <@a,@b:user@host>
            addr = addr.rsplit(":", 1)[1]
        if addr.lower().startswith("mailto:"):
            addr = addr[7:]
        name_tokens = [t for t in chunk[:last] if not t.startswith("(")]
        name = "".join(_word(t) for t in name_tokens)
        if not name.strip():  # "<a@b> (Name)" or "<a@b> Name"
            after = chunk[last + 1 :]
            name = "".join(t[1:-1] if t.startswith("(") else _word(t) for t in after)
        return _display(name), _addr(addr)
    words = "".join(_word(t) for t in chunk if not t.startswith("("))
    comments = [t[1:].rstrip(")") for t in chunk if t.startswith("(")]
    return _display(" ".join(comments)), _addr(words)


def _addr(addr: str) -> str:
    addr = addr.strip()
    if not addr.isascii():
        addr, _bad = decode_header_value(addr)
    return "".join(addr.split())
