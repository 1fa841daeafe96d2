"""WHOIS over TCP port 43 (RFC 3912), for TLDs without RDAP - ``.cn`` above all.

The protocol is one line out, text back until the server closes. What varies by registry is
the query form (JPRS answers in English only for ``name/e``; Verisign wants ``domain name``),
the charset (CNNIC answers in UTF-8, JPRS in ISO-2022-JP; a few old servers in Latin-1) and
the text format. Thin registries (Verisign's ``.com``/``.net``) name the registrar's own
WHOIS server (``Registrar WHOIS Server:``), which is asked once more for the registrant.

The text is parsed by ``python-whois`` (``whois.parser.WhoisEntry.load(domain, text)``, the
``online`` extra), a maintained parser that knows the CNNIC, JPRS and ICANN formats and
works offline on text we give it; its network client is not used. Its dates come back as
``datetime`` objects to which it gives UTC when the server wrote no offset; we turn those
back into times without an offset (CNNIC writes ``2022-03-21 10:37:19``, which is not UTC),
so that a date keeps exactly what the server said.

Limits that protect the caller: a connect-and-answer deadline (``timeout``), an answer size
cap (``max_bytes``, the rest is dropped and the answer marked truncated), and a decoder
that never raises on bytes.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .providers import ProviderUnavailable, now_iso
from .registration import DomainRegistration, IpRegistration, iso_datetime

DEFAULT_TIMEOUT = 10.0
MAX_ANSWER_BYTES = 256 * 1024  # real answers are a few KB; a server that streams more is not answering
WHOIS_PORT = 43

# TLD (or longer suffix) -> "host[:port]". IANA's root zone database names these servers.
DEFAULT_SERVERS: dict[str, str] = {
    "cn": "whois.cnnic.cn",
    "jp": "whois.jprs.jp",
    "com": "whois.verisign-grs.com",
    "net": "whois.verisign-grs.com",
    "org": "whois.pir.org",
    "kr": "whois.kr",
    "tw": "whois.twnic.net.tw",
    "hk": "whois.hkirc.hk",
}

# How each registry wants the question ("{domain}" is replaced): JPRS answers in English (and
# ASCII) only with "/e"; Verisign's "domain" keyword asks for domains only, not name servers.
DEFAULT_QUERIES: dict[str, str] = {
    "jp": "{domain}/e",
    "com": "domain {domain}",
    "net": "domain {domain}",
}

# The charset a server answers in when it is not UTF-8 (from the servers_charset_list of the
# Debian whois client): tried when the answer is not valid UTF-8.
DEFAULT_CHARSETS: dict[str, str] = {
    "jp": "iso-2022-jp",
    "br": "iso-8859-1",
    "ca": "iso-8859-1",
}

_NOT_FOUND = re.compile(
    r"^[\s%#>]*(?:no match|not found|no matching record|no data found|no entries found|domain not found|"
    r"no object found|object does not exist|the queried object does not exist)",
    re.IGNORECASE | re.MULTILINE)
_REFERRAL = re.compile(r"^\s*Registrar WHOIS Server:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)
_REDACTED = re.compile(r"redacted|privacy|withheld|not disclosed|data protected|statutory masking|gdpr|"
                       r"non-public|hidden|masked", re.IGNORECASE)
_ISO2022_ESCAPES = (b"\x1b$B", b"\x1b$@", b"\x1b(J", b"\x1b(B")


class WhoisError(Exception):
    """A failed WHOIS look-up: no answer in time, a closed or refused connection."""


@dataclass(frozen=True, slots=True)
class WhoisText:
    """One server's raw answer to one query line."""

    server: str  # "host:port"
    query: str
    text: str
    size: int  # bytes received (at most the cap)
    truncated: bool  # the server had more to say than the cap allowed


def parse_server(spec: str, default_port: int = WHOIS_PORT) -> tuple[str, int]:
    """``"whois.cnnic.cn"``, ``"127.0.0.1:4343"``, ``"[::1]:43"``, ``"http://whois.x.com/"`` -> (host, port)."""
    spec = re.sub(r"^[a-z][a-z0-9+.-]*://", "", spec.strip(), flags=re.IGNORECASE).split("/", 1)[0]
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    if spec.count(":") == 1:
        host, _, port = spec.partition(":")
        return host, int(port)
    return spec, default_port


def decode_whois(raw: bytes, legacy: str | None = None) -> str:
    """WHOIS bytes -> text, never raising: ISO-2022-JP when its escapes are there (it is 7-bit,
    so it would pass as UTF-8 and come out as escape garbage), else UTF-8, else the server's
    legacy charset, else UTF-8 with replacement characters (also for an answer cut mid-character)."""
    candidates: list[str] = []
    if any(esc in raw for esc in _ISO2022_ESCAPES):
        candidates.append("iso-2022-jp")
    candidates.append("utf-8")
    if legacy:
        candidates.append(legacy)
    for charset in candidates:
        try:
            return raw.decode(charset)
        except (UnicodeDecodeError, LookupError):
            continue
    return raw.decode("utf-8", errors="replace")


def whois_query(server: str, query: str, timeout: float = DEFAULT_TIMEOUT,
                max_bytes: int = MAX_ANSWER_BYTES, legacy_charset: str | None = None) -> WhoisText:
    """Send ``query`` to ``server`` ("host[:port]") and read the answer until the server closes,
    ``max_bytes`` arrive or ``timeout`` seconds (connect included) have passed. Raises
    :class:`WhoisError` on timeout or a network error."""
    host, port = parse_server(server)
    where = f"{host}:{port}"
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    truncated = False
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(query.encode("utf-8") + b"\r\n")
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WhoisError(f"{where}: no complete answer within {timeout:g} s")
                sock.settimeout(remaining)
                chunk = sock.recv(65536)
                if not chunk:
                    break
                if size + len(chunk) > max_bytes:
                    chunks.append(chunk[:max_bytes - size])
                    size = max_bytes
                    truncated = True
                    break
                chunks.append(chunk)
                size += len(chunk)
    except TimeoutError as exc:
        raise WhoisError(f"{where}: no complete answer within {timeout:g} s") from exc
    except OSError as exc:
        raise WhoisError(f"{where}: {exc.strerror or exc}") from exc
    raw = b"".join(chunks)
    return WhoisText(where, query, decode_whois(raw, legacy_charset), size, truncated)


# ------------------------------------------------------------------------------- parsing

def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _texts(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in items if str(v).strip()]


def _when(value: Any) -> str | None:
    """python-whois's date -> ISO 8601 as the server wrote it (see the module docstring)."""
    value = _first(value)
    if isinstance(value, datetime):
        moment: datetime = value
        if moment.tzinfo is timezone.utc:  # noqa: UP017 - python-whois's mark for "no offset written"
            moment = moment.replace(tzinfo=None)
        return moment.isoformat()
    return iso_datetime(str(value)) if value else None


def _contact(value: Any) -> str:
    for text in _texts(value):
        if not _REDACTED.search(text):
            return text
    return ""


def whois_fields(domain: str, text: str) -> dict[str, Any] | None:
    """The registration fields of one WHOIS answer, or None when it says "no such domain".
    Raises :class:`ProviderUnavailable` without python-whois."""
    if _NOT_FOUND.search(text):
        return None
    try:
        from whois.exceptions import WhoisDomainNotFoundError
        from whois.parser import WhoisEntry
    except ImportError as exc:
        raise ProviderUnavailable("python-whois is not installed (pip install 'mailsleuth[online]')") from exc
    try:
        entry = WhoisEntry.load(domain, text)
    except WhoisDomainNotFoundError:
        return None
    if entry is None:
        return None
    data: dict[str, Any] = dict(entry)
    nameservers: list[str] = []
    for ns in _texts(data.get("name_servers")):
        ns = ns.split()[0].rstrip(".").lower()
        if ns not in nameservers:
            nameservers.append(ns)
    status: list[str] = []
    for st in _texts(data.get("status")):
        st = re.sub(r"\s*\(?https?://\S+\)?$", "", st)
        if st not in status:
            status.append(st)
    return {
        "registrar": str(_first(data.get("registrar")) or "").strip(),
        "created": _when(data.get("creation_date")),
        "updated": _when(data.get("updated_date")),
        "expires": _when(data.get("expiration_date")),
        "registrant": _contact(data.get("name")) or _contact(data.get("registrant_name"))
        or _contact(data.get("org")) or _contact(data.get("registrant_org")),
        "registrant_country": _contact(data.get("country")) or _contact(data.get("registrant_country")),
        "nameservers": tuple(nameservers),
        "status": tuple(status),
    }


def _referral(answer: WhoisText, domain: str) -> str | None:
    """The registrar's WHOIS server a thin registry names, unless asking it would repeat the
    question just asked (same server, same query line)."""
    match = _REFERRAL.search(answer.text)
    if not match:
        return None
    host, port = parse_server(match.group(1))
    target = f"{host}:{port}"
    return target if host and (target, domain) != (answer.server, answer.query) else None


# ------------------------------------------------------------------------------- the provider

class WhoisProvider:
    """Domain registration data over port 43, from a TLD -> server map."""

    name = "whois"

    def __init__(self, servers: Mapping[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT, *,
                 max_bytes: int = MAX_ANSWER_BYTES, follow_referral: bool = True,
                 queries: Mapping[str, str] | None = None, charsets: Mapping[str, str] | None = None) -> None:
        self.servers = {k.strip(".").lower(): v for k, v in (DEFAULT_SERVERS if servers is None else servers).items()}
        self.queries = dict(DEFAULT_QUERIES if queries is None else queries)
        self.charsets = dict(DEFAULT_CHARSETS if charsets is None else charsets)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.follow_referral = follow_referral

    def _suffix(self, domain: str, table: Mapping[str, str]) -> str | None:
        labels = domain.split(".")
        for i in range(len(labels)):
            suffix = ".".join(labels[i:])
            if suffix in table:
                return suffix
        return None

    def server_for(self, domain: str) -> str | None:
        """The server for ``domain`` (longest matching suffix), or None."""
        suffix = self._suffix(domain.strip().rstrip(".").lower(), self.servers)
        return self.servers[suffix] if suffix else None

    def raw(self, domain: str) -> WhoisText:
        """The registry's answer for ``domain``, unparsed."""
        name = _ascii_domain(domain)
        suffix = self._suffix(name, self.servers)
        if suffix is None:
            raise ProviderUnavailable(f"no WHOIS server is known for .{name.rsplit('.', 1)[-1]}")
        qsuffix = self._suffix(name, self.queries)
        csuffix = self._suffix(name, self.charsets)
        query = self.queries[qsuffix].format(domain=name) if qsuffix else name
        return whois_query(self.servers[suffix], query, self.timeout, self.max_bytes,
                           self.charsets[csuffix] if csuffix else None)

    def domain(self, domain: str) -> DomainRegistration | None:
        name = _ascii_domain(domain)
        answer = self.raw(name)
        fields = whois_fields(name, answer.text)
        if fields is None:
            return None
        source = f"whois:{answer.server}"
        referral = _referral(answer, name) if self.follow_referral else None
        if referral:
            try:
                more = whois_fields(name, whois_query(referral, name, self.timeout, self.max_bytes).text)
            except WhoisError:
                more = None  # the registry's answer stands on its own; the registrar's only adds
            if more:
                fields = {k: v or more.get(k, v) for k, v in fields.items()}
                source = f"whois:{answer.server} (registrar: {referral})"
        return DomainRegistration(domain=name, source=source, obtained_at=now_iso(), **fields)

    def ip(self, ip: str) -> IpRegistration | None:
        raise ProviderUnavailable("IP addresses are looked up through RDAP only")


def _ascii_domain(domain: str) -> str:
    name = domain.strip().rstrip(".").lower()
    if not name or any(c in name for c in " /\r\n"):
        raise ValueError(f"not a domain name: {domain!r}")
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name
