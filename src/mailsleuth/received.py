"""Parse one ``Received:`` header value into a :class:`~mailsleuth.models.Hop`.

Approach
--------
Received headers are free text: every MTA writes its own dialect, and spam adds forged and
broken ones.  Instead of one large pattern per MTA (the SpamAssassin way), the value is read in
three small steps that hold for all dialects seen in real mail:

1. **Split off the date**: the text after the last ``;`` that is not inside a comment.
2. **Cut the rest into clauses**: one linear scan separates top-level words from
   parenthesised comments (nesting aware, unbalanced parentheses tolerated) and starts a new
   clause at each top-level keyword ``from``, ``by``, ``via``, ``with``, ``id`` and ``for``.
   Each clause keeps its words and the comments that follow it, so
   ``from helo (rdns [ip]) (using TLS...) by mx (Postfix) with ESMTPS id Q for <a>`` becomes
   ``from: [helo] (rdns [ip]) (using TLS...)``, ``by: [mx] (Postfix)``, ``with: [ESMTPS]`` ...
   A clause keyword counts once; a ``from`` that follows ``by`` is an envelope sender
   (XMail), and a leading ``(from user@host)`` comment (Sendmail submit, NAVGW) stands in for
   a missing ``from`` clause.
3. **Read the ``from`` clause** (the client).  Its comments are classified with small
   anchored patterns: a HELO comment (``HELO x``, ``EHLO x``, ``helo=x``), a bracketed address
   with an optional name before it (``rdns [ip]``, ``ident@rdns [ip]``, ``[ip]:port helo=x``,
   ``IPv6:...``) or a bare address (``1.2.3.4``, ``user@1.2.3.4``, ``2603:10b6:...``).  Which
   word is the HELO name and which the reverse DNS then depends on the family:

   * ``helo (rdns [ip])`` - Postfix, Sendmail, Google, amavis: rdns is the name inside the
     parentheses (``unknown`` and similar mean none), helo is the word after ``from``.
   * ``helo ([ip])`` - Sendmail without rDNS, Microsoft, Dovecot LMTP: no rdns.
   * ``rdns ([ip] helo=x)`` / ``rdns ([ip])`` with Exim markers or ``verified`` (Exim,
     CommuniGate): the word after ``from`` is the verified rDNS; helo is ``helo=`` or the same.
   * ``rdns (HELO x) (ident@ip)`` and other qmail markers (``unknown``, ``envelope-sender``,
     ``(qp N)``, or ``name (ip)`` with SMTP/QMQP and no queue id): the word after ``from`` is the
     rDNS (``unknown`` for none) and also the HELO unless a HELO comment is given.
   * ``helo (ip)`` from anything else (Microsoft Exchange / Outlook.com, PowerMTA): no rdns.
   * ``[ip] (helo=x)``, ``1.2.3.4 by``, ``name [ip] by`` (Exim, webmail, fetchmail): the address
     is in the ``from`` words.

Values are returned as written, except: IP addresses are normalised (``IPv6:`` prefix, zone and
port removed, IPv6 compressed and lower-cased, IPv4-mapped IPv6 turned into IPv4); a trailing
dot is dropped from rdns; ``<>`` are dropped around ``id`` and ``for``; the date is turned into
ISO 8601 UTC (a date without a zone is taken as UTC; ``-08:00``, fractional seconds and common
zone names such as ``CEST`` are understood; Courier's queue id after the date is moved to ``id``).
Local-login words (``from user by host with local``, ``from user@host``, ``mail pickup
service``), ``unknown`` and a from word that is just the client's own address (``from [ip]
([ip]:port)``) are not taken as HELO names; ``claiming to be "x"`` (TIS smtpd) is.

Everything is precompiled; no pattern has nested quantifiers, so the run time is linear in the
length of the value (and only the first 16 KB of a value are read), and ``parse_received``
never raises.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import TypeAlias

from mailsleuth.models import Hop

__all__ = ["canonical", "is_public_ip", "parse_received"]

_KEYWORDS = frozenset({"from", "by", "via", "with", "id", "for"})
_TOKEN = re.compile(r"[()]|[^()]+")
_DATE_SCAN = re.compile(r"[();]")
_HELO_WORD = re.compile(r"(?:^|\s)(?:HELO|EHLO)(?: ([^\s()]*)|$)")
_HELO_EQ = re.compile(r"(?:^|\s)helo=([^\s()]*)", re.IGNORECASE)
_BRACKET_IP = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.]{2,60}(?:%\w{1,20})?)\]", re.IGNORECASE)
_V4_PORT = re.compile(r"(\d{1,3}(?:\.\d{1,3}){3})[.:]\d{1,5}\Z")
_HOSTLIKE = re.compile(r"\w[\w.-]*\Z")
_EXIM_ID = re.compile(r"\w{6}-\w{6}-\w{2}\Z|\w{6}-\w{11}-\w{4}\Z")
_QMAILISH_PROTO = re.compile(r"(?:E?SMTP|QMQP)[A-Z]{0,3}\Z")
_AUTH_PROTO = re.compile(r"(?:UTF8)?(?:E?SMTP|LMTP)S?A\Z|ASMTP\Z")
_VIA_PROTO = re.compile(r"[A-Z]{0,6}(?:SMTP|HTTP|LMTP)[A-Z]{0,3}\Z")
_AUTH_TEXT = re.compile(
    r"\bauthenticated\b|\bAUTH: |@[0-9A-Fa-f:.]{2,45} with (?:login|plain|cram-md5)\b", re.IGNORECASE
)
_FRACTION = re.compile(r"(:\d\d)\.\d{1,9}(?!\d)")
_TZ_COLON = re.compile(r"(\s[+-]\d\d):(\d\d)\b")
_TZ_OFFSETS = {  # unambiguous zone names that email.utils does not know
    "CET": "+0100", "CEST": "+0200", "MET": "+0100", "MEST": "+0200", "BST": "+0100",
    "WET": "+0000", "WEST": "+0100", "EET": "+0200", "EEST": "+0300", "MSK": "+0300",
    "JST": "+0900", "KST": "+0900", "HKT": "+0800", "SGT": "+0800", "AEST": "+1000",
    "AEDT": "+1100", "NZST": "+1200", "NZDT": "+1300",
}  # fmt: skip
_TZ_NAME = re.compile(r"(?<=\s)(" + "|".join(_TZ_OFFSETS) + r")(?=\s|\Z)")
_TRAILING_ID = re.compile(r" id (\S+)\Z")
_NO_RDNS = frozenset({"unknown", "softdnserr", "unverified"})
_MULTIWORD_PROTO = frozenset({"microsoft", "mailenable", "internet"})
_STRIP = ",;"
_MAX_VALUE = 16384  # longer values are junk (real ones stay under 1 KB): parse only their start
_MAX_IP_TEXT = 80  # "IPv6:" + the longest address + a zone or port
_PUNCT = frozenset({",", ";", ":"})

# (words, comments) of one clause
_Clause: TypeAlias = tuple[list[str], list[str]]


def parse_received(value: str) -> Hop:
    """Parse an unfolded (or folded) ``Received:`` value; never raises."""
    text = " ".join(value[:_MAX_VALUE].split())
    if text[:1] == "[" and text[-1:] == "]" and (text[1:6].lower() == "from " or text[1:4].lower() == "by "):
        text = text[1:-1]  # a whole value wrapped in brackets (seen in real mail)
    head, date_text = _split_date(text)
    clauses, order = _clauses(head)
    qid = _first_word(clauses.get("id"), strip_angle=True)
    if qid is None:
        date_text, qid = _trailing_id(date_text)
    with_clause = clauses.get("with")
    protocol = _protocol(with_clause, clauses.get("via"))
    helo, rdns, ip = _client(clauses, order, protocol, head)
    return Hop(
        raw=value,
        helo=helo,
        rdns=rdns,
        ip=ip,
        by=_by(clauses.get("by")),
        protocol=protocol,
        id=qid,
        for_addr=_first_word(clauses.get("for"), strip_angle=True),
        date=_date(date_text),
        auth=_is_auth(protocol, clauses),
    )


def canonical(hop: Hop) -> str:
    """One line used by the test table: ``[ ip= rdns= helo= by= with= id= for= auth= date= ]``."""
    fields = (
        ("ip", hop.ip),
        ("rdns", hop.rdns),
        ("helo", hop.helo),
        ("by", hop.by),
        ("with", hop.protocol),
        ("id", hop.id),
        ("for", hop.for_addr),
        ("auth", "yes" if hop.auth else None),
        ("date", hop.date),
    )
    return "[ " + " ".join(f"{key}={val or ''}" for key, val in fields) + " ]"


def is_public_ip(ip: str | None) -> bool:
    """True for a globally routable unicast address; False for special ranges, None or garbage."""
    if not ip:
        return False
    addr = _ip_object(ip.strip())
    if addr is None:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return _is_public(addr)


# --- step 1: date -------------------------------------------------------------------------------


def _split_date(text: str) -> tuple[str, str | None]:
    """Split at the last ``;`` that is not inside parentheses."""
    pos = text.rfind(";")
    if pos < 0:
        return text, None
    tail = text[pos + 1 :]
    if tail.count(")") > tail.count("("):  # that ";" sits in a comment: scan for the right one
        pos = _last_top_level_semicolon(text)
        if pos < 0:
            return text, None
        tail = text[pos + 1 :]
    return text[:pos], tail.strip() or None


def _last_top_level_semicolon(text: str) -> int:
    balance = 0  # ")" minus "(" to the right of the current position
    for match in reversed(list(_DATE_SCAN.finditer(text))):
        char = match.group()
        if char == ")":
            balance += 1
        elif char == "(":
            balance -= 1
        elif balance <= 0:
            return match.start()
    return -1


def _date(date_text: str | None) -> str | None:
    if date_text is None:
        return None
    parsed = _parse_date(date_text)
    if parsed is None or parsed.tzinfo is None:  # retry with fixes for real-world oddities
        fixed = _parse_date(_normalise_date(date_text))
        if fixed is not None and (parsed is None or fixed.tzinfo is not None):
            parsed = fixed
    if parsed is None:
        return date_text
    if parsed.tzinfo is None:  # "-0000" or no zone at all
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC).isoformat()
    except (OverflowError, ValueError):
        return date_text


def _parse_date(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _normalise_date(text: str) -> str:
    """``11:34:00.581`` -> ``11:34:00``, ``-08:00`` -> ``-0800``, ``CEST`` -> ``+0200``, ``+0900(KST)``."""
    text = _FRACTION.sub(r"\1", text.replace("(", " ("), count=1)
    text = _TZ_COLON.sub(r"\1\2", text, count=1)
    return _TZ_NAME.sub(lambda m: _TZ_OFFSETS[m.group(1)], text, count=1)


def _trailing_id(date_text: str | None) -> tuple[str | None, str | None]:
    """Courier writes the queue id after the date: ``; <date> id 0EFECD52.4D02EDDF.0000C65A``."""
    if date_text is None:
        return None, None
    match = _TRAILING_ID.search(date_text)
    if match is None:
        return date_text, None
    return date_text[: match.start()], match.group(1)


# --- step 2: clauses ----------------------------------------------------------------------------


def _clauses(head: str) -> tuple[dict[str, _Clause], list[str]]:
    """Cut ``head`` into keyword clauses; ``""`` holds what comes before the first keyword.

    ``order`` lists the clause keywords as met; the last one is the clause being filled.
    """
    clauses: dict[str, _Clause] = {"": ([], [])}
    order: list[str] = [""]
    depth = 0
    buf: list[str] = []
    for tok in _TOKEN.findall(head):
        if tok == "(":
            if depth:
                buf.append(tok)
            depth += 1
        elif tok == ")":
            if depth == 1:
                clauses[order[-1]][1].append("".join(buf).strip())
                buf = []
            elif depth > 1:
                buf.append(tok)
            depth = max(depth - 1, 0)
        elif depth:
            buf.append(tok)
        else:
            _add_words(tok, clauses, order)
    if depth and buf:  # unclosed comment
        clauses[order[-1]][1].append("".join(buf).strip())
    return clauses, order


def _add_words(text: str, clauses: dict[str, _Clause], order: list[str]) -> None:
    words = clauses[order[-1]][0]
    for word in text.split():
        if len(word) <= 4:  # the longest keyword is 4 letters
            if word in _PUNCT:
                continue
            key = word.lower()
            if key in _KEYWORDS and key not in clauses:
                clauses[key] = ([], [])
                order.append(key)
                words = clauses[key][0]
                continue
        words.append(word)


# --- step 3: fields -----------------------------------------------------------------------------


def _first_word(clause: _Clause | None, strip_angle: bool = False) -> str | None:
    if not clause or not clause[0]:
        return None
    word = clause[0][0].strip(_STRIP)
    if strip_angle:
        word = word.strip("<>")
    return word or None


def _by(clause: _Clause | None) -> str | None:
    if clause and len(clause[0]) > 1 and clause[0][0].lower() == "host":
        return clause[0][1].strip(_STRIP) or None  # indimail: "by host NAME"
    return _first_word(clause)


def _protocol(with_clause: _Clause | None, via_clause: _Clause | None) -> str | None:
    if with_clause and with_clause[0]:
        words = with_clause[0]
        if len(words) > 2 and words[1].lower() == "encrypted":  # with CIPHER encrypted SMTP
            words = words[2:]
        if words[0].lower() in _MULTIWORD_PROTO:
            return " ".join(words[:3]).strip(_STRIP)
        return words[0].strip(_STRIP) or None
    via = _first_word(via_clause)
    if via and _VIA_PROTO.match(via.upper()):
        return via
    return None


def _is_auth(protocol: str | None, clauses: dict[str, _Clause]) -> bool:
    if protocol and _AUTH_PROTO.match(protocol.upper()):
        return True
    return any(_AUTH_TEXT.search(c) for _, comments in clauses.values() for c in comments)


def _client(
    clauses: dict[str, _Clause], order: list[str], protocol: str | None, head: str
) -> tuple[str | None, str | None, str | None]:
    """(helo, rdns, ip) of the client, from the ``from`` clause."""
    frm = _from_clause(clauses, order)
    if frm is None:
        return None, None, None
    words, comments = frm
    first = words[0] if words else None
    helo_given, helo_word, ip_info = _scan_comments(comments)
    lit_ip = _ip_literal(first) if first else None
    helo = None if _not_a_helo(words, protocol) else first
    ip: str | None = None
    rdns: str | None = None
    if ip_info is not None:
        ip = ip_info[0]
        rdns, keep_helo = _rdns_from_form(first, lit_ip, ip_info, helo_word, clauses, protocol, head)
        helo = helo if keep_helo else None
    elif lit_ip is not None:  # [ip] (helo=x), 1.2.3.4 by ...
        ip, helo = lit_ip, None
    else:
        ip = _extra_ip(words)
        if ip is None and _is_exim(clauses, head):
            helo = None  # Exim writes "from ident by host" only for local senders
    claimed = _claimed_helo(words)
    if claimed is not None:  # smtpd: from rdns(ip), claiming to be "helo"
        rdns, helo = _rdns_word(first, lit_ip), claimed
    if helo_given is not None:
        helo = helo_given or None
    return helo, rdns, ip


def _from_clause(clauses: dict[str, _Clause], order: list[str]) -> _Clause | None:
    frm = clauses.get("from")
    if frm is not None and "by" in clauses and order.index("from") > order.index("by"):
        frm = None  # "... by host ... from <envelope>" (XMail)
    return frm if frm is not None else _comment_from(clauses[""])


def _rdns_from_form(
    first: str | None,
    lit_ip: str | None,
    info: _IpInfo,
    helo_word: bool,
    clauses: dict[str, _Clause],
    protocol: str | None,
    head: str,
) -> tuple[str | None, bool]:
    """rdns given the shape of the address comment, and whether the from word is a HELO name."""
    ip, name, post, bracketed, ident = info
    if name is not None:  # helo (rdns [ip]); "" when the name is "unknown" or an address
        return name or None, True
    from_is_address = lit_ip == ip  # "from [ip] ([ip]:port)": the from word is no HELO name
    if helo_word or _is_qmail(first, ident, clauses, protocol, head, bracketed):
        return _rdns_word(first, lit_ip), not from_is_address
    if bracketed and ("helo=" in post.lower() or _is_exim(clauses, head) or _verified(post)):
        return _rdns_word(first, lit_ip), not from_is_address
    return None, not from_is_address


def _claimed_helo(words: list[str]) -> str | None:
    if len(words) > 4 and [w.lower() for w in words[1:4]] == ["claiming", "to", "be"]:
        return words[4].strip('"') or None
    return None


def _comment_from(prefix: _Clause) -> _Clause | None:
    """A leading ``(from user@host)`` / ``(from NAME [ip])`` comment used as the from clause."""
    if prefix[1] and prefix[1][0][:5].lower() == "from ":
        inner, _ = _clauses(prefix[1][0])
        return inner.get("from")
    return None


# (ip, rdns name or None, text after the address, bracketed?, ident or None)
_IpInfo: TypeAlias = tuple[str, str | None, str, bool, str | None]


def _scan_comments(comments: list[str]) -> tuple[str | None, bool, _IpInfo | None]:
    """HELO value given in a comment, whether it was a ``HELO x`` word form, and the address."""
    helo: str | None = None
    helo_word = False
    info: _IpInfo | None = None
    for comment in comments:
        if comment[:9].lower().startswith("envelope-"):
            continue
        segment = comment
        match = _HELO_WORD.search(comment)
        if match is not None:
            helo_word = True
        else:
            match = _HELO_EQ.search(comment)
        if match is not None:
            if helo is None:
                helo = match.group(1) or ""  # "(HELO )": an empty HELO
            segment = comment[: match.start()]
        if info is None:
            info = _bracket_form(segment) or _bare_form(segment)
    return helo, helo_word, info


def _bracket_form(segment: str) -> _IpInfo | None:
    match = _BRACKET_IP.search(segment)
    if match is None:
        return None
    ip = _clean_ip(match.group(1))
    if ip is None:
        return None
    ident, name = _ident_and_name(segment[: match.start()])
    return ip, name, segment[match.end() :], True, ident


def _bare_form(segment: str) -> _IpInfo | None:
    ident, _, rest = segment.strip().rpartition("@")
    word = rest.split(" ", 1)[0]
    if not word or not (word[0].isdigit() or word[0] in ":abcdefABCDEF"):
        return None
    ip = _clean_ip(word)
    if ip is None:
        return None
    return ip, None, rest[len(word) :], False, ident or None


def _ident_and_name(pre: str) -> tuple[str | None, str | None]:
    """``IDENT:user@host`` / ``user@host`` / ``host`` before a bracketed address.

    The name is None when there is no name slot (``[ip]``, ``account x@y [ip]``) and ``""``
    when the slot holds no usable name (``unknown [ip]``, ``user@[ip]``, ``1.2.3.4 [ip]``).
    """
    words = pre.split()
    if len(words) != 1:
        return None, None
    ident, _, name = words[0].rpartition("@")
    if name[:6].upper() == "IDENT:":
        name = name[6:]
    if ident[:6].upper() == "IDENT:":
        ident = ident[6:]
    return ident or None, _rdns_name(name) or ""


def _rdns_name(name: str) -> str | None:
    name = name.rstrip(".")
    if name.lower() in _NO_RDNS or not _HOSTLIKE.match(name) or _clean_ip(name) is not None:
        return None
    return name


def _rdns_word(first: str | None, lit_ip: str | None) -> str | None:
    if first is None or lit_ip is not None:
        return None
    return _rdns_name(first)


def _not_a_helo(words: list[str], protocol: str | None) -> bool:
    """Login names and descriptions written where a HELO name usually stands."""
    if not words or "@" in words[0] or words[0].lower() in ("unknown", "<unknown>"):
        return True
    if protocol and protocol.lower().startswith("local"):
        return True
    return len(words) > 1 and _ip_literal(words[1]) is None and _BRACKET_IP.search(words[1]) is None


def _is_qmail(
    first: str | None,
    ident: str | None,
    clauses: dict[str, _Clause],
    protocol: str | None,
    head: str,
    bracketed: bool,
) -> bool:
    if (first and first.lower() == "unknown") or "(envelope-sender " in head:
        return True
    if bracketed:
        return False
    if ident is not None:
        return True
    by = clauses.get("by")
    if by and any(c.startswith("qp ") for c in by[1]):
        return True
    no_id = "id" not in clauses and not (by and by[1])
    return no_id and protocol is not None and _QMAILISH_PROTO.match(protocol.upper()) is not None


def _is_exim(clauses: dict[str, _Clause], head: str) -> bool:
    if "(Exim " in head:
        return True
    qid = _first_word(clauses.get("id"))
    return qid is not None and _EXIM_ID.match(qid) is not None


def _verified(post: str) -> bool:
    return "verified" in post.split()


def _extra_ip(words: list[str]) -> str | None:
    """``from name [ip] by`` (Exim 3, fetchmail, MDaemon): the address is a from word."""
    for word in words[1:]:
        match = _BRACKET_IP.search(word)
        if match is not None:
            return _clean_ip(match.group(1))
    return None


def _ip_literal(word: str) -> str | None:
    """The address when ``word`` is an address literal (``1.2.3.4``, ``[1.2.3.4]``, ``[IPv6:..]``)."""
    if word[:1] == "[":
        match = _BRACKET_IP.match(word)
        return _clean_ip(match.group(1)) if match else None
    if word[:1].isdigit() or word[:1] == ":":
        return _clean_ip(word.strip(_STRIP))
    return None


# --- IP addresses -------------------------------------------------------------------------------

_IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address


def _ip_object(text: str) -> _IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _clean_ip(text: str) -> str | None:
    """Normalised address from ``text`` (``IPv6:`` prefix, zone, port dropped), else None."""
    return _clean_ip_cached(text) if len(text) <= _MAX_IP_TEXT else None


@lru_cache(maxsize=4096)
def _clean_ip_cached(text: str) -> str | None:
    if text[:5].lower() == "ipv6:":
        text = text[5:]
    text = text.split("%", 1)[0]
    addr = _ip_object(text)
    if addr is None:
        match = _V4_PORT.match(text)
        addr = _ip_object(match.group(1)) if match else None
        if addr is None:
            return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


_NON_PUBLIC_NETS = (
    "0.0.0.0/8",  # "this network"
    "10.0.0.0/8",
    "100.64.0.0/10",  # CGNAT
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",  # TEST-NET-1
    "192.88.99.0/24",  # 6to4 relay anycast
    "192.168.0.0/16",
    "198.18.0.0/15",  # benchmarking
    "198.51.100.0/24",  # TEST-NET-2
    "203.0.113.0/24",  # TEST-NET-3
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, broadcast
    "::/96",  # unspecified, loopback, IPv4-compatible
    "64:ff9b:1::/48",
    "100::/64",  # discard
    "2001::/23",  # IETF protocol assignments (Teredo, benchmarking, ORCHID)
    "2001:db8::/32",  # documentation
    "3fff::/20",  # documentation
    "fc00::/7",  # unique local
    "fe80::/10",  # link-local
    "fec0::/10",  # site-local
    "ff00::/8",  # multicast
)
_NON_PUBLIC = tuple(ipaddress.ip_network(net) for net in _NON_PUBLIC_NETS)


def _is_public(addr: _IPAddress) -> bool:
    if any(addr.version == net.version and addr in net for net in _NON_PUBLIC):
        return False
    return addr.is_global
