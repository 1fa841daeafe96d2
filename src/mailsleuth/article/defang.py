"""Defanging: write indicators (URLs, host names, IP and e-mail addresses) so that no
reader, chat tool or Markdown renderer turns them into a clickable link.

    https://www.eki-net-member.revapec.cn/  ->  hxxps://www[.]eki-net-member[.]revapec[.]cn/
    a@b.cn                                  ->  a[@]b[.]cn
    1.2.3.4                                 ->  1[.]2[.]3[.]4

``defang`` takes one value (or a sentence: every indicator in it is defanged);
``split_indicators`` cuts a sentence into plain text and indicators for the renderers,
which show indicators as code.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..domains import has_known_suffix, registrable_domain

_SCHEMES = {"http": "hxxp", "https": "hxxps", "ftp": "fxp", "ftps": "fxps", "ws": "wxs", "wss": "wxss"}
_URL_RE = re.compile(r"(?i)\b(?:https?|ftps?|wss?)://[^\s<>\"'`\x00-\x1f\x7f\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]+")
_SCHEME_RE = re.compile(r"(?i)^(https?|ftps?|wss?)://")
_ANY_SCHEME_RE = re.compile(r"(?i)\b(https?|ftps?|wss?)(:/+)")
_EMAIL_RE = re.compile(
    r"(?i)(?<![\w.+-])[a-z0-9!#$%&'*+/=?^_{|}~.-]{1,64}@(?:[a-z0-9-]{1,63}\.)+[a-z0-9-]{2,63}(?![\w-])")
_IPV4_RE = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d]|\.\d)")
_IPV6_RE = re.compile(r"(?i)(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])")
_DOMAIN_RE = re.compile(
    r"(?i)(?<![\w@/-])(?<![\w-]\.)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9](?![\w-]|\.\w)")
_TRAILING = ".,;:!?)]}'\""
# A whole value that is a host name (any script: IDN hosts are decoded to Unicode).
_HOST_FULL_RE = re.compile(r"^[^\s/@:\[\]<>\"'`]+\.[^\s/@:\[\]<>\"'`.]+\.?$")


def _wrap(value: str, chars: str) -> str:
    """Each of ``chars`` in brackets, unless it already is (defanging twice changes nothing)."""
    return re.sub(f"(?<!\\[)([{re.escape(chars)}])(?!\\])", r"[\1]", value)


def _defang_host(host: str) -> str:
    if ":" in host and _is_ip(host.strip("[]")):
        return _wrap(host, ":.")
    return _wrap(host, ".")


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def neutralise(text: str) -> str:
    """Every ``http://``-like scheme left in ``text`` written as ``hxxp://`` (the last safety net:
    broken URLs such as ``http://https://host`` or ``3D"https://host`` escape the patterns)."""
    return _ANY_SCHEME_RE.sub(lambda m: _SCHEMES.get(m.group(1).lower(), m.group(1)) + m.group(2), text)


def _defang_url(url: str) -> str:
    m = _SCHEME_RE.match(url)
    if not m:
        return neutralise(url)
    scheme = _SCHEMES.get(m.group(1).lower(), m.group(1))
    rest = url[m.end():]
    if _SCHEME_RE.match(rest):  # http://https://host/
        return f"{scheme}://{_defang_url(rest)}"
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    netloc, tail = rest[:cut], rest[cut:]
    userinfo, at, hostport = netloc.rpartition("@")
    if hostport.startswith("["):
        host, _, port = hostport.partition("]")
        host_out = "[" + _wrap(host[1:], ":") + "]" + port
    else:
        host, colon, port = hostport.partition(":")
        host_out = _defang_host(host) + colon + port
    prefix = (_wrap(userinfo, ".") + "[@]") if at else ""
    # Nested URLs and addresses in the path or query (redirectors) are defanged too.
    return neutralise(f"{scheme}://{prefix}{host_out}{defang_text(tail)}")


def _defang_email(addr: str) -> str:
    out = _wrap(addr, "@")
    i = out.rfind("[@]") + 3
    return out[:i] + _defang_host(out[i:])


def defang(value: str) -> str:
    """Defang one indicator (URL, host, e-mail or IP address), or every indicator in a text."""
    v = value.strip()
    if not v:
        return value
    if _SCHEME_RE.match(v) and not any(c.isspace() for c in v):
        return _defang_url(v)
    if _is_ip(v.strip("[]")):
        return _defang_host(v)
    if v.count("@") == 1 and not any(c.isspace() for c in v) and "." in v.split("@", 1)[1]:
        return _defang_email(v)
    if _HOST_FULL_RE.match(v):
        return _defang_host(v)
    if not any(c.isspace() for c in v):
        return _force(v)
    return defang_text(value)


def _force(value: str) -> str:
    """Defang a value known to be an indicator, whatever it looks like."""
    if _SCHEME_RE.match(value):
        return _defang_url(value)
    return neutralise(_wrap(value, "@."))


@dataclass(frozen=True, slots=True)
class Piece:
    text: str  # as shown (defanged unless kind == "official")
    kind: str  # "text" | "indicator" | "official"


def _known_re(known: Iterable[str]) -> re.Pattern[str] | None:
    values = sorted({k for k in known if k and len(k) >= 4 and not k.isspace()}, key=lambda s: (-len(s), s))
    if not values:
        return None
    return re.compile("|".join(re.escape(v) for v in values), re.IGNORECASE)


def split_indicators(text: str, *, known: Iterable[str] = (), official: Iterable[str] = ()) -> list[Piece]:
    """Cut ``text`` into plain pieces and defanged indicators.

    ``known`` are values that must be found even when they do not look like indicators to the
    patterns (host names with Unicode labels, unusual suffixes); ``official`` are the brand's
    real domains: a bare mention of one of them (or of a host under it) is kept as written.
    """
    official_set = {d.lower() for d in official}
    spans: list[tuple[int, int, str]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e, _ in spans)

    def add(a: int, b: int, kind: str) -> None:
        if a < b and free(a, b):
            spans.append((a, b, kind))

    for m in _URL_RE.finditer(text):
        end = m.end()
        while end > m.start() and text[end - 1] in _TRAILING and not text[m.start():end].endswith("/"):
            end -= 1
        add(m.start(), end, "url")
    for m in _EMAIL_RE.finditer(text):
        add(m.start(), m.end(), "email")
    pattern = _known_re(known)
    if pattern is not None:
        for m in pattern.finditer(text):
            add(m.start(), m.end(), "known")
    for m in _IPV4_RE.finditer(text):
        if _is_ip(m.group(0)):
            add(m.start(), m.end(), "ip")
    for m in _IPV6_RE.finditer(text):
        if m.group(0).count(":") >= 2 and _is_ip(m.group(0)):
            add(m.start(), m.end(), "ip")
    for m in _DOMAIN_RE.finditer(text):
        if has_known_suffix(m.group(0)):
            add(m.start(), m.end(), "domain")
    spans.sort()
    out: list[Piece] = []
    pos = 0
    for a, b, kind in spans:
        if a > pos:
            out.append(Piece(text[pos:a], "text"))
        raw = text[a:b]
        if kind in ("domain", "known") and _is_official(raw, official_set):
            out.append(Piece(raw, "official"))
        elif kind == "known":
            out.append(Piece(defang(raw) if any(c.isspace() for c in raw) else _force(raw), "indicator"))
        else:
            out.append(Piece(defang(raw), "indicator"))
        pos = b
    if pos < len(text):
        out.append(Piece(text[pos:], "text"))
    return [Piece(neutralise(p.text), p.kind) if p.kind == "text" else p for p in out]


def _is_official(value: str, official: set[str]) -> bool:
    if not official or "/" in value or "@" in value or _is_ip(value):
        return False
    host = value.lower().rstrip(".")
    return host in official or registrable_domain(host) in official


def defang_text(text: str, *, known: Iterable[str] = ()) -> str:
    """``text`` with every indicator in it defanged."""
    return neutralise("".join(p.text for p in split_indicators(text, known=known)))
