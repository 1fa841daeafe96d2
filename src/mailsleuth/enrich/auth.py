"""Sender authentication: what the receiving server recorded, and what DNS says now.

Two sources, kept apart in :class:`AuthResults`:

* **Headers** (offline): ``Authentication-Results`` and ``ARC-Authentication-Results``
  (RFC 8601, RFC 8617) - but only those written by the receiving organisation. Anyone can put
  "dkim=pass" in a header before sending, so a header counts only when its authserv-id is the
  ``by`` host of the top ``Received`` hop or shares its registrable domain; the others are
  listed in ``ignored_authserv_ids``.
* **Online** (opt-in, through a :class:`~mailsleuth.enrich.dnsprovider.DnsProvider`): DKIM
  signatures verified with dkimpy, SPF of the origin IP for the envelope sender with pyspf,
  the From domain's DMARC policy and alignment, forward-confirmed reverse DNS of the origin,
  and whether the SPF of the brand the mail claims would let the origin IP send at all
  (:func:`brand_spf_allows`).

Every DNS question goes to the injected provider (dkimpy through its ``dnsfunc``, pyspf
through a thread-local hook), so tests answer them from an ``nsd`` on loopback, and a
failure becomes a ``temperror`` result or a ``Skipped`` entry, never an exception.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from ..domains import is_ip, normalize_host, registrable_domain
from ..models import Hop, ParsedMessage
from .providers import Skipped, now_iso

if TYPE_CHECKING:  # dnspython, dkimpy and pyspf are optional ("online" extra): imported only when used
    from ..evidence import Evidence
    from .dnsprovider import DnsProvider, Fcrdns

Method = Literal["dkim", "spf", "dmarc"]
Alignment = Literal["r", "s"]
SPF_RESULTS = ("pass", "fail", "softfail", "neutral", "none", "temperror", "permerror")
MAX_SIGNATURES = 5  # DKIM signatures verified per message
MAX_BRAND_DOMAINS = 3  # official domains of the claimed brand whose SPF is asked
SPF_QUERY_TIME = 20.0  # seconds for one whole SPF evaluation (RFC 7208 section 4.6.4)


# ---------------------------------------------------------------------------- answer types


@dataclass(frozen=True, slots=True)
class AuthResult:
    """One method's result as an ``Authentication-Results`` header of the receiver gave it."""

    method: str  # "dkim", "spf", "dmarc", "arc", ...
    result: str  # "pass", "fail", "softfail", "none", ...
    domain: str  # header.d / header.i domain (dkim), smtp.mailfrom / helo domain (spf), header.from (dmarc)
    authserv_id: str
    header: str  # "Authentication-Results" or "ARC-Authentication-Results"
    properties: tuple[tuple[str, str], ...] = ()
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["properties"] = dict(self.properties)
        return out


@dataclass(frozen=True, slots=True)
class DkimResult:
    """One DKIM-Signature verified online."""

    domain: str  # d=
    selector: str  # s=
    result: Literal["pass", "fail", "temperror", "permerror"]
    reason: str
    source: str
    obtained_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class SpfResult:
    """An SPF evaluation (RFC 7208) of ``ip`` for ``domain``."""

    ip: str
    domain: str  # the domain whose policy was evaluated
    sender: str  # the identity checked: an address, or "postmaster@<helo>"
    identity: Literal["mailfrom", "helo", "brand"]
    result: str  # one of SPF_RESULTS
    explanation: str
    source: str
    obtained_at: str

    @property
    def allows(self) -> bool | None:
        """True: the policy lets ``ip`` send; False: it says ``ip`` may not (fail, softfail);
        None: it does not say (neutral, none, errors)."""
        if self.result == "pass":
            return True
        if self.result in ("fail", "softfail"):
            return False
        return None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["allows"] = self.allows
        return out


@dataclass(frozen=True, slots=True)
class DmarcRecord:
    """A published DMARC policy (RFC 7489)."""

    domain: str  # where it was found: the From domain or its organisational domain
    record: str
    p: str
    sp: str
    adkim: Alignment
    aspf: Alignment
    pct: int

    def policy_for(self, from_domain: str) -> str:
        """The policy that applies to ``from_domain`` (``sp=`` for a subdomain of the record's domain)."""
        return self.sp if from_domain != self.domain and self.sp else self.p

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class DmarcResult:
    """The From domain's DMARC evaluation: the policy, and which aligned identifier passed."""

    from_domain: str
    record: DmarcRecord | None  # None: no policy published
    policy: str  # "none", "quarantine", "reject"; "" without a record
    result: Literal["pass", "fail", "none", "temperror"]
    spf_aligned: bool
    dkim_aligned: bool
    aligned_domain: str  # the SPF or DKIM domain that passed aligned, "" when none did
    source: str
    obtained_at: str
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["record"] = self.record.to_dict() if self.record else None
        return out


@dataclass(frozen=True, slots=True)
class BrandSpf:
    """Would the claimed brand's own SPF let the origin IP send mail for it?"""

    brand_id: str
    ip: str
    allows: bool | None  # True: some official domain passes it; False: none passes, one fails it
    results: tuple[SpfResult, ...]

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(r.domain for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {"brand_id": self.brand_id, "ip": self.ip, "allows": self.allows,
                "results": [r.to_dict() for r in self.results]}


@dataclass(frozen=True, slots=True)
class AuthResults:
    """What is known about a message's authentication. Attached as ``ev.auth``.

    ``online`` is True when DNS was asked (``--online``); the header results are there either way.
    """

    online: bool
    authserv_ids: tuple[str, ...] = ()  # trusted authserv-ids (the receiving organisation)
    header_results: tuple[AuthResult, ...] = ()
    ignored_authserv_ids: tuple[str, ...] = ()  # headers written by others (possibly forged)
    from_domain: str = ""
    dkim: tuple[DkimResult, ...] = ()
    spf: SpfResult | None = None
    dmarc: DmarcResult | None = None
    fcrdns: Fcrdns | None = None
    brand_spf: tuple[BrandSpf, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    source: str = ""  # the DNS provider's name, "" offline
    obtained_at: str = ""

    def header(self, method: str) -> list[AuthResult]:
        """The receiver's results for ``method``; Authentication-Results before ARC copies."""
        found = [r for r in self.header_results if r.method == method]
        return sorted(found, key=lambda r: r.header != "Authentication-Results")

    def any_pass(self) -> bool:
        """Whether DKIM, SPF or DMARC passed, online or per the receiver's headers."""
        if any(d.result == "pass" for d in self.dkim):
            return True
        if (self.spf and self.spf.result == "pass") or (self.dmarc and self.dmarc.result == "pass"):
            return True
        return any(r.result == "pass" for m in ("dkim", "spf", "dmarc") for r in self.header(m))

    def to_dict(self) -> dict[str, Any]:
        return {
            "online": self.online,
            "authserv_ids": list(self.authserv_ids),
            "header_results": [r.to_dict() for r in self.header_results],
            "ignored_authserv_ids": list(self.ignored_authserv_ids),
            "from_domain": self.from_domain,
            "dkim": [d.to_dict() for d in self.dkim],
            "spf": self.spf.to_dict() if self.spf else None,
            "dmarc": self.dmarc.to_dict() if self.dmarc else None,
            "fcrdns": self.fcrdns.to_dict() if self.fcrdns else None,
            "brand_spf": [b.to_dict() for b in self.brand_spf],
            "skipped": [s.to_dict() for s in self.skipped],
            "source": self.source,
            "obtained_at": self.obtained_at,
        }


# ------------------------------------------------------------ Authentication-Results headers

_COMMENT_RE = re.compile(r"\((?:[^()\\]|\\.)*\)")
_AR_HEADERS = ("Authentication-Results", "ARC-Authentication-Results")
MAX_AR_HEADERS = 20  # per header name: a receiver chain writes a handful
MAX_AR_LENGTH = 4096  # characters read of one header (comments are stripped innermost first)
# Registrable domains of Exchange Online / Outlook.com receiving hosts (*.prod.outlook.com, *.hotmail.com ...).
_MICROSOFT_RECEIVERS = frozenset({"outlook.com", "hotmail.com", "office365.com", "microsoft.com", "live.com"})
_METHOD_RE = re.compile(r"^\s*([A-Za-z0-9_-]+)(?:/\d+)?\s*=\s*([A-Za-z0-9_-]+)(.*)$", re.S)
_PROP_RE = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_.-]+)\s*=\s*(\"(?:[^\"\\]|\\.)*\"|[^\s;]+)")
_REASON_RE = re.compile(r"\breason\s*=\s*(\"(?:[^\"\\]|\\.)*\"|[^\s;]+)", re.I)
_ARC_INSTANCE_RE = re.compile(r"^\s*i\s*=\s*\d+\s*;", re.I)


def _strip_comments(value: str) -> str:
    prev = None
    while prev != value:  # nested comments: innermost first
        prev, value = value, _COMMENT_RE.sub(" ", value)
    return value


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_authentication_results(value: str, header: str = "Authentication-Results") -> tuple[str, list[AuthResult]]:
    """``authserv-id; method=result prop=value ...; ...`` -> (authserv-id, results)."""
    value = _strip_comments(value.replace("\r", " ").replace("\n", " "))
    if header.lower().startswith("arc-"):
        value = _ARC_INSTANCE_RE.sub("", value, count=1)
    parts = [p.strip() for p in value.split(";")]
    if not parts or not parts[0]:
        return "", []
    if _METHOD_RE.match(parts[0]):  # no authserv-id (Exchange Online writes them so): results only
        authserv_id = ""
        parts.insert(0, "")
    else:
        authserv_id = normalize_host(parts[0].split()[0]) if parts[0].split() else ""
    results: list[AuthResult] = []
    for part in parts[1:]:
        m = _METHOD_RE.match(part)
        if not m:
            continue  # "none", or something unreadable
        method, result, rest = m.group(1).lower(), m.group(2).lower(), m.group(3)
        props = tuple((f"{p.lower()}.{k.lower()}", _unquote(v)) for p, k, v in _PROP_RE.findall(rest))
        rm = _REASON_RE.search(rest)
        results.append(AuthResult(method, result, _result_domain(method, dict(props)), authserv_id, header,
                                  props, _unquote(rm.group(1)) if rm else ""))
    return authserv_id, results


def _result_domain(method: str, props: dict[str, str]) -> str:
    if method == "dkim":
        d = props.get("header.d") or props.get("header.i", "").rpartition("@")[2]
    elif method == "spf":
        d = props.get("smtp.mailfrom", "").rpartition("@")[2] or props.get("smtp.helo", "")
    elif method == "dmarc":
        d = props.get("header.from", "")
    else:
        d = ""
    return normalize_host(d) if d else ""


def trusted_authserv(authserv_id: str, hops: Sequence[Hop]) -> bool:
    """The authserv-id names the receiving organisation: the ``by`` host of the top hop, or a
    host of its registrable domain."""
    if not authserv_id or not hops or not hops[0].by:
        return False
    top = normalize_host(hops[0].by)
    if authserv_id == top:
        return True
    if is_ip(top) or is_ip(authserv_id):
        return False
    org = registrable_domain(top)
    return bool(org) and registrable_domain(authserv_id) == org


def exchange_online_receiver(hops: Sequence[Hop], origin_index: int | None) -> str:
    """The host of Microsoft's that took the mail in, when every hop of the receiving side is
    Microsoft's (Exchange Online / Outlook.com); "" otherwise."""
    if origin_index is None or not hops:
        return ""
    inside = [h for h in hops[: origin_index + 1] if h.by]
    if not inside or not all(registrable_domain(normalize_host(h.by)) in _MICROSOFT_RECEIVERS for h in inside):
        return ""
    return normalize_host(inside[-1].by)


def receiver_results(msg: ParsedMessage, hops: Sequence[Hop], origin_index: int | None = None,
                     ) -> tuple[list[str], list[AuthResult], list[str]]:
    """(trusted authserv-ids, their results, ignored authserv-ids) of a message's headers.

    A result counts when its authserv-id names the receiving organisation (RFC 8601 section 5:
    the receiver removes headers carrying its own id that arrive from outside). Exchange Online
    writes ``Authentication-Results`` without an authserv-id, and renames the ones arriving from
    outside to ``Authentication-Results-Original``: such a header counts only when every hop of
    the receiving side (``hops[:origin_index + 1]``) is Microsoft's."""
    trusted: list[str] = []
    results: list[AuthResult] = []
    ignored: list[str] = []
    microsoft = exchange_online_receiver(hops, origin_index)
    for header in _AR_HEADERS:
        for raw in msg.raw(header)[:MAX_AR_HEADERS]:
            sid, found = parse_authentication_results(raw[:MAX_AR_LENGTH], header)
            if not sid and microsoft and header == "Authentication-Results":
                found = [replace(r, authserv_id=microsoft) for r in found]
                sid = microsoft
            if trusted_authserv(sid, hops) or (microsoft and sid == microsoft):
                if sid not in trusted:
                    trusted.append(sid)
                results.extend(found)
            elif sid and sid not in ignored:
                ignored.append(sid)
    return trusted, results, ignored


# ------------------------------------------------------------------------------------ DKIM

class _DnsTempError(Exception):
    """A DKIM key look-up that could not be answered (timeout, server failure)."""


def dkim_dnsfunc(dnsp: DnsProvider) -> Callable[..., bytes | None]:
    """A dkimpy ``dnsfunc`` that asks ``dnsp`` (TXT, character strings joined)."""

    def get_txt(name: bytes | str, timeout: float = 5) -> bytes | None:
        qname = name.decode("ascii", "replace") if isinstance(name, bytes) else name
        ans = dnsp.txt(qname)
        if isinstance(ans, Skipped):
            raise _DnsTempError(ans.reason)
        for rec in ans.records:
            if not rec.startswith("v=spf1"):
                return rec.encode("utf-8")
        return None

    return get_txt


_TAG_RE = re.compile(r"(?:^|;)\s*([a-z]+)\s*=\s*([^;]*)")


def _sig_tags(value: bytes) -> dict[str, str]:
    text = re.sub(r"\s+", "", value.decode("ascii", "replace"))
    return dict(_TAG_RE.findall(text))


def verify_dkim(raw: bytes, dnsp: DnsProvider) -> tuple[list[DkimResult], list[Skipped]]:
    """Verify each DKIM-Signature (up to MAX_SIGNATURES) of the raw message online."""
    try:
        import dkim
    except ImportError:
        return [], [Skipped(dnsp.name, "skipped, because dkimpy is not installed (pip install 'mailsleuth[online]')")]
    try:
        d = dkim.DKIM(raw, timeout=int(max(1, dnsp.timeout)))
        sigs = [v for k, v in d.headers if k.lower() == b"dkim-signature"]
    except Exception as exc:  # dkimpy's parser raises several kinds on malformed mail
        return [], [Skipped(dnsp.name, f"skipped, because the message could not be read for DKIM ({exc})")]
    out: list[DkimResult] = []
    skipped: list[Skipped] = []
    func = dkim_dnsfunc(dnsp)
    for idx, value in enumerate(sigs[:MAX_SIGNATURES]):
        tags = _sig_tags(value)
        dom, sel = tags.get("d", "").lower(), tags.get("s", "")
        key_name = f"{sel}._domainkey.{dom}"
        key = dnsp.txt(key_name) if dom and sel else None
        result: Literal["pass", "fail", "temperror", "permerror"]
        if key is None:
            result, reason = "permerror", "the signature names no domain (d=) or selector (s=)"
        elif isinstance(key, Skipped):
            result, reason = "temperror", key.reason
            skipped.append(Skipped(dnsp.name, key.reason, key_name))
        elif not any("p=" in r for r in key.records):
            result, reason = "permerror", f"no DKIM key is published at {key_name} ({key.status})"
        else:
            result, reason = _verify_one(dkim, raw, idx, func, dnsp, key_name, skipped)
        out.append(DkimResult(dom, sel, result, reason, dnsp.name, dnsp.journal.now))
    return out, skipped


def _verify_one(dkim: Any, raw: bytes, idx: int, func: Callable[..., bytes | None], dnsp: DnsProvider,
                key_name: str, skipped: list[Skipped]) -> tuple[Literal["pass", "fail", "temperror", "permerror"], str]:
    ver = dkim.DKIM(raw, timeout=int(max(1, dnsp.timeout)))
    try:
        ok = bool(ver.verify(idx=idx, dnsfunc=func))
    except _DnsTempError as exc:
        skipped.append(Skipped(dnsp.name, str(exc), key_name))
        return "temperror", str(exc)
    except dkim.ValidationError as exc:  # body hash mismatch, expired, bad tags
        return "fail", str(exc)
    except dkim.DKIMException as exc:  # unusable key or signature header
        return "permerror", str(exc)
    except Exception as exc:  # dkimpy may fail on exotic input; one signature must not stop the rest
        return "permerror", f"{type(exc).__name__}: {exc}"
    return ("pass", "") if ok else ("fail", _DKIM_MISMATCH)


_DKIM_MISMATCH = "the signature does not match the message (body or signed headers changed, or another key)"


# ------------------------------------------------------------------------------------- SPF

_spf_local = threading.local()
_spf_hook_lock = threading.Lock()
_spf_hooked = False


def _spf_lookup(name: str, qtype: str, strict: bool = True, timeout: float = 20) -> list[tuple[tuple[str, str], Any]]:
    """pyspf's ``DNSLookup`` replaced: asks the DnsProvider of the running evaluation."""
    import spf

    dnsp: DnsProvider | None = getattr(_spf_local, "dns", None)
    if dnsp is None:
        return _ORIGINAL[0](name, qtype, strict, timeout)  # another caller of pyspf: its own resolver
    if qtype not in ("A", "AAAA", "MX", "PTR", "TXT"):
        return []  # type SPF (99) records are obsolete (RFC 7208 section 3.1)
    ans = dnsp.query(name, qtype)  # type: ignore[arg-type]
    if isinstance(ans, Skipped):
        raise spf.TempError("DNS " + ans.reason)
    out: list[tuple[tuple[str, str], Any]] = []
    for rec in ans.records:
        if qtype == "TXT":
            out.append(((name, qtype), [rec.encode("utf-8")]))
        elif qtype == "MX":
            pref, _, host = rec.partition(" ")
            out.append(((name, qtype), (int(pref), host)))
        else:
            out.append(((name, qtype), rec))
    return out


_ORIGINAL: list[Callable[..., list[tuple[tuple[str, str], Any]]]] = []


def _hook_spf() -> None:
    global _spf_hooked
    import spf

    with _spf_hook_lock:
        if not _spf_hooked:
            _ORIGINAL.append(spf.DNSLookup)
            spf.DNSLookup = _spf_lookup
            _spf_hooked = True


@contextmanager
def _spf_dns(dnsp: DnsProvider) -> Iterator[None]:
    _hook_spf()
    _spf_local.dns = dnsp
    try:
        yield
    finally:
        _spf_local.dns = None


def check_spf(ip: str, sender: str, helo: str, dnsp: DnsProvider,
              identity: Literal["mailfrom", "helo", "brand"] = "mailfrom") -> SpfResult | Skipped:
    """Evaluate SPF for ``ip`` sending as ``sender`` (an address; "" to check the HELO name)."""
    try:
        import spf
    except ImportError:
        return Skipped(dnsp.name, "skipped, because pyspf is not installed (pip install 'mailsleuth[online]')", ip)
    if not sender:
        if not helo or is_ip(helo):
            return Skipped(dnsp.name, "skipped, because there is neither an envelope sender nor a HELO name", ip)
        sender, identity = f"postmaster@{helo}", "helo"
    domain = sender.rpartition("@")[2].lower()
    with _spf_dns(dnsp):
        try:
            q = spf.query(i=ip, s=sender, h=helo or domain, timeout=dnsp.timeout, querytime=SPF_QUERY_TIME)
            result, _code, explanation = q.check()
        except Exception as exc:  # pyspf raises on malformed addresses and names
            return Skipped(dnsp.name, f"skipped, because SPF could not be evaluated ({type(exc).__name__}: {exc})", ip)
    result = str(result).lower()
    if result not in SPF_RESULTS:  # pyspf says "error"/"unknown" in its older vocabulary
        result = {"error": "temperror", "unknown": "permerror", "ambiguous": "permerror"}.get(result, "permerror")
    return SpfResult(ip, domain, sender, identity, result, str(explanation), dnsp.name, dnsp.journal.now)


def brand_spf_allows(brand_domain: str, ip: str, dnsp: DnsProvider) -> SpfResult | Skipped:
    """Would ``brand_domain``'s own SPF let ``ip`` send mail as it? (``.allows`` on the result.)"""
    return check_spf(ip, f"postmaster@{brand_domain}", brand_domain, dnsp, identity="brand")


def _brand_spf(brand_id: str, domains: Sequence[str], ip: str, dnsp: DnsProvider,
               skipped: list[Skipped]) -> BrandSpf | None:
    results: list[SpfResult] = []
    for dom in domains[:MAX_BRAND_DOMAINS]:
        r = brand_spf_allows(dom, ip, dnsp)
        if isinstance(r, Skipped):
            skipped.append(r)
        else:
            results.append(r)
    if not results:
        return None
    if any(r.allows for r in results):
        allows: bool | None = True
    elif any(r.allows is False for r in results):
        allows = False
    else:
        allows = None
    return BrandSpf(brand_id, ip, allows, tuple(results))


# ----------------------------------------------------------------------------------- DMARC

def parse_dmarc(domain: str, record: str) -> DmarcRecord | None:
    tags = {k.lower(): v.strip() for k, v in (t.split("=", 1) for t in record.split(";") if "=" in t)}
    tags = {k.strip(): v for k, v in tags.items()}
    if tags.get("v", "").upper() != "DMARC1":
        return None
    p = tags.get("p", "").lower()
    if p not in ("none", "quarantine", "reject"):
        p = "none"  # RFC 7489 section 6.6.3: an invalid p= with a rua= is treated as none
    sp = tags.get("sp", "").lower()
    adkim: Alignment = "s" if tags.get("adkim", "r").lower() == "s" else "r"
    aspf: Alignment = "s" if tags.get("aspf", "r").lower() == "s" else "r"
    try:
        pct = max(0, min(100, int(tags.get("pct", "100"))))
    except ValueError:
        pct = 100
    return DmarcRecord(domain, record, p, sp if sp in ("none", "quarantine", "reject") else "", adkim, aspf, pct)


def find_dmarc(from_domain: str, dnsp: DnsProvider) -> DmarcRecord | Skipped | None:
    """The DMARC record for ``from_domain``: its own, else its organisational domain's."""
    org = registrable_domain(from_domain) or from_domain
    for dom in dict.fromkeys((from_domain, org)):
        ans = dnsp.txt(f"_dmarc.{dom}")
        if isinstance(ans, Skipped):
            return ans
        recs = [r for r in ans.records if r.strip().lower().startswith("v=dmarc1")]
        if len(recs) == 1:
            return parse_dmarc(dom, recs[0])
    return None


def aligned(from_domain: str, other: str, mode: Alignment) -> bool:
    """Identifier alignment (RFC 7489 section 3.1): strict = same name, relaxed = same
    organisational domain."""
    if not from_domain or not other:
        return False
    a, b = from_domain.lower().rstrip("."), other.lower().rstrip(".")
    if a == b:
        return True
    if mode == "s":
        return False
    org = registrable_domain(a)
    return bool(org) and org == registrable_domain(b)


def evaluate_dmarc(from_domain: str, record: DmarcRecord | None, spf_result: SpfResult | None,
                   dkim_results: Sequence[DkimResult], source: str, at: str | None = None) -> DmarcResult:
    at = at or now_iso()
    if record is None:
        return DmarcResult(from_domain, None, "", "none", False, False, "", source, at,
                           "the From domain publishes no DMARC policy")
    spf_ok = (spf_result is not None and spf_result.result == "pass" and spf_result.identity == "mailfrom"
              and aligned(from_domain, spf_result.domain, record.aspf))
    dkim_pass = [d for d in dkim_results if d.result == "pass" and aligned(from_domain, d.domain, record.adkim)]
    policy = record.policy_for(from_domain)
    if spf_ok or dkim_pass:
        dom = dkim_pass[0].domain if dkim_pass else (spf_result.domain if spf_result else "")
        return DmarcResult(from_domain, record, policy, "pass", spf_ok, bool(dkim_pass), dom, source, at)
    temp = (spf_result is not None and spf_result.result == "temperror") or any(
        d.result == "temperror" for d in dkim_results)
    reason = "neither SPF nor DKIM passed for a domain aligned with the From domain"
    return DmarcResult(from_domain, record, policy, "temperror" if temp else "fail", False, False, "", source, at,
                       reason + (" (a DNS look-up failed)" if temp else ""))


# ---------------------------------------------------------------------------- the whole job

@dataclass
class Authenticator:
    """Builds :class:`AuthResults` for one message. ``dns=None``: headers only (offline)."""

    dns: DnsProvider | None = None
    brand_domains: Callable[[Evidence], list[tuple[str, tuple[str, ...]]]] | None = None

    def authenticate(self, ev: Evidence, raw: bytes) -> AuthResults:
        trusted, results, ignored = receiver_results(ev.message, ev.hops, ev.origin_index)
        from_domain = ev.from_addr.domain if ev.from_addr else ""
        base = AuthResults(online=False, authserv_ids=tuple(trusted), header_results=tuple(results),
                           ignored_authserv_ids=tuple(ignored), from_domain=from_domain)
        if self.dns is None:
            return base
        dnsp = self.dns
        skipped: list[Skipped] = []
        dkim_results, sk = verify_dkim(raw, dnsp)
        skipped.extend(sk)
        origin = ev.origin
        ip = origin.ip if origin else None
        spf_result: SpfResult | None = None
        fcrdns: Fcrdns | None = None
        brand_spf: list[BrandSpf] = []
        if ip:
            sender = ev.return_path.address if ev.return_path and "@" in ev.return_path.address else ""
            r = check_spf(ip, sender, (origin.helo if origin else "") or "", dnsp)
            if isinstance(r, Skipped):
                skipped.append(r)
            else:
                spf_result = r
                if r.result == "temperror":
                    skipped.append(Skipped(dnsp.name, f"skipped, because SPF could not be looked up ({r.explanation})",
                                           f"spf {r.domain}"))
            fcrdns = dnsp.fcrdns(ip)
            for brand_id, domains in (self.brand_domains or claimed_brand_domains)(ev):
                b = _brand_spf(brand_id, domains, ip, dnsp, skipped)
                if b is not None:
                    brand_spf.append(b)
        else:
            skipped.append(Skipped(dnsp.name, "skipped, because the mail's origin address is unknown", "spf"))
        dmarc: DmarcResult | None = None
        if from_domain:
            rec = find_dmarc(from_domain, dnsp)
            if isinstance(rec, Skipped):
                skipped.append(rec)
            else:
                dmarc = evaluate_dmarc(from_domain, rec, spf_result, dkim_results, dnsp.name, dnsp.journal.now)
        return AuthResults(online=True, authserv_ids=base.authserv_ids, header_results=base.header_results,
                           ignored_authserv_ids=base.ignored_authserv_ids, from_domain=from_domain,
                           dkim=tuple(dkim_results), spf=spf_result, dmarc=dmarc, fcrdns=fcrdns,
                           brand_spf=tuple(brand_spf), skipped=tuple(skipped), source=dnsp.name,
                           obtained_at=dnsp.journal.now)


def claimed_brand_domains(ev: Evidence) -> list[tuple[str, tuple[str, ...]]]:
    """The brand the mail claims (display name, then subject) with its official domains - unless
    the From address is on one of them (then SPF of the From domain already answers)."""
    sender_org = ev.from_addr.registrable_domain if ev.from_addr else ""
    for hit in ev.brand_claims:
        if sender_org and sender_org in hit.brand.official_domains:
            return []
        if hit.brand.official_domains:
            return [(hit.brand.id, hit.brand.official_domains)]
    return []
