"""Online DNS: A, AAAA, MX, TXT and PTR look-ups through one configurable resolver.

This is the opt-in, online part of enrichment (``mailsleuth analyze --online``). A
:class:`DnsProvider` wraps a dnspython ``Resolver`` that asks exactly the nameserver it was
given (``--dns-server HOST:PORT``; tests point it at an ``nsd`` on loopback) or, when none is
given, the system's resolvers. Every answer records where it came from
(``source = "dns:127.0.0.1:5353"``), when (``obtained_at``) and for how long it may be reused
(``ttl``). Nothing here raises: a timeout, a refused query or a server failure becomes a
:class:`~mailsleuth.enrich.providers.Skipped` whose reason starts "skipped, because ...".

An empty answer (the name does not exist, or has no record of that type) is not an error: it
is a :class:`DnsAnswer` with ``status`` ``"nxdomain"`` or ``"nodata"`` and no records.
"""

from __future__ import annotations

import copy
import ipaddress
from dataclasses import asdict, dataclass
from typing import Any, Literal

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver
import dns.reversename

from .journal import Journal
from .providers import Skipped, now_iso

RecordType = Literal["A", "AAAA", "MX", "TXT", "PTR", "CNAME", "NS"]
Status = Literal["ok", "nxdomain", "nodata"]
DEFAULT_TIMEOUT = 3.0


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    """The records of one name and type, as one server gave them.

    ``records`` are presentation strings: addresses for A/AAAA, host names without the final
    dot for PTR and CNAME, ``"10 mx.example.jp"`` for MX, and the joined character strings
    for TXT (one string per TXT record, as SPF, DKIM and DMARC read them)."""

    name: str
    rdtype: RecordType
    records: tuple[str, ...]
    status: Status
    source: str
    obtained_at: str
    ttl: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["records"] = list(self.records)
        return out


@dataclass(frozen=True, slots=True)
class MxRecord:
    preference: int
    exchange: str


@dataclass(frozen=True, slots=True)
class Fcrdns:
    """Forward-confirmed reverse DNS of one address: its PTR names, and which of them resolve
    back (A or AAAA) to the same address. ``confirmed`` is None when it could not be told."""

    ip: str
    ptr_names: tuple[str, ...]
    confirmed_names: tuple[str, ...]
    confirmed: bool | None
    source: str
    obtained_at: str
    reason: str = ""  # why not confirmed, or why it could not be told

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ptr_names"] = list(self.ptr_names)
        out["confirmed_names"] = list(self.confirmed_names)
        return out


def parse_server(spec: str) -> tuple[str, int]:
    """``"127.0.0.1:5353"``, ``"[::1]:53"``, ``"::1"`` or ``"192.0.2.53"`` -> (address, port)."""
    spec = spec.strip()
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") else 53
    elif spec.count(":") == 1:
        host, _, p = spec.partition(":")
        port = int(p)
    else:
        host, port = spec, 53
    ipaddress.ip_address(host)  # ValueError for a name: the resolver's server must be an address
    if not 0 < port < 65536:
        raise ValueError(f"port out of range: {port}")
    return host, port


class DnsProvider:
    """Asks one resolver (``nameserver``:``port``) or, with ``nameserver=None``, the system's."""

    def __init__(self, nameserver: str | None = None, port: int = 53, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        if nameserver is None:
            try:
                self._resolver = dns.resolver.Resolver(configure=True)
            except dns.exception.DNSException:  # no /etc/resolv.conf: every query is skipped
                self._resolver = dns.resolver.Resolver(configure=False)
            servers = ",".join(str(s) for s in self._resolver.nameservers)
            self.name = f"dns:system({servers})" if servers else "dns:system"
        else:
            self._resolver = dns.resolver.Resolver(configure=False)
            self._resolver.nameservers = [nameserver]
            self._resolver.port = port
            host = f"[{nameserver}]" if ":" in nameserver else nameserver
            self.name = f"dns:{host}:{port}"
        self._resolver.timeout = timeout
        self._resolver.lifetime = timeout
        self._resolver.cache = dns.resolver.Cache()
        self.journal = Journal()

    def with_journal(self, journal: Journal) -> DnsProvider:
        """The same resolver, recording into (or replaying from) ``journal``: one per message."""
        view = copy.copy(self)
        view.journal = journal
        return view

    @classmethod
    def replaying(cls, name: str, journal: Journal, timeout: float = DEFAULT_TIMEOUT) -> DnsProvider:
        """A provider that answers only from a bundle's ``journal`` and asks no server."""
        view = cls.__new__(cls)
        view.name = name
        view.timeout = timeout
        view.journal = journal
        return view

    @classmethod
    def from_spec(cls, spec: str | None, timeout: float = DEFAULT_TIMEOUT) -> DnsProvider:
        """``--dns-server HOST:PORT`` (None: the system's resolvers)."""
        if spec is None:
            return cls(None, timeout=timeout)
        host, port = parse_server(spec)
        return cls(host, port, timeout)

    def skipped(self, reason: str, target: str) -> Skipped:
        return Skipped(self.name, f"skipped, because {reason}", target)

    def query(self, name: str, rdtype: RecordType) -> DnsAnswer | Skipped:
        """One look-up, through the journal. Never raises."""
        qname = name.strip().rstrip(".")
        try:
            return self.journal.ask(self.name, "dns", f"{qname} {rdtype}", lambda: self._ask(qname, rdtype),
                                    _encode, _decode, lambda a: a.ttl if isinstance(a, DnsAnswer) else None)
        except Exception as exc:  # replay: the bundle holds no answer to this question
            return Skipped(self.name, str(exc), f"{qname} {rdtype}")

    def _ask(self, qname: str, rdtype: RecordType) -> DnsAnswer | Skipped:
        try:
            ans = self._resolver.resolve(qname + ".", rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN:
            return DnsAnswer(qname, rdtype, (), "nxdomain", self.name, now_iso())
        except dns.resolver.LifetimeTimeout:
            return self.skipped(f"the DNS server did not answer within {self.timeout:g} s", f"{qname} {rdtype}")
        except dns.resolver.NoNameservers as exc:
            return self.skipped(f"no DNS server could answer ({_short(exc)})", f"{qname} {rdtype}")
        except (dns.exception.DNSException, OSError, ValueError) as exc:
            return self.skipped(f"the look-up failed ({type(exc).__name__}: {_short(exc)})", f"{qname} {rdtype}")
        rrset = ans.rrset
        if rrset is None:
            return DnsAnswer(qname, rdtype, (), "nodata", self.name, now_iso())
        records = tuple(_text(rd, rdtype) for rd in rrset)
        return DnsAnswer(qname, rdtype, records, "ok", self.name, now_iso(), ttl=rrset.ttl)

    def a(self, name: str) -> DnsAnswer | Skipped:
        return self.query(name, "A")

    def aaaa(self, name: str) -> DnsAnswer | Skipped:
        return self.query(name, "AAAA")

    def txt(self, name: str) -> DnsAnswer | Skipped:
        return self.query(name, "TXT")

    def mx(self, name: str) -> list[MxRecord] | Skipped:
        ans = self.query(name, "MX")
        if isinstance(ans, Skipped):
            return ans
        out = []
        for rec in ans.records:
            pref, _, host = rec.partition(" ")
            out.append(MxRecord(int(pref), host))
        return sorted(out, key=lambda m: m.preference)

    def ptr(self, ip: str) -> DnsAnswer | Skipped:
        try:
            rev = dns.reversename.from_address(ip.strip().strip("[]")).to_text(omit_final_dot=True)
        except (dns.exception.SyntaxError, ValueError):
            return self.skipped(f"{ip!r} is not an IP address", ip)
        return self.query(rev, "PTR")

    def addresses(self, host: str) -> tuple[list[str], list[Skipped]]:
        """A and AAAA addresses of ``host``; the look-ups that failed."""
        found: list[str] = []
        failed: list[Skipped] = []
        for rdtype in ("A", "AAAA"):
            ans = self.query(host, rdtype)
            if isinstance(ans, Skipped):
                failed.append(ans)
            else:
                found.extend(ans.records)
        return found, failed

    def fcrdns(self, ip: str) -> Fcrdns:
        """PTR of ``ip``, then A/AAAA of each name: confirmed when one name leads back to ``ip``."""
        at = self.journal.now
        try:
            addr = ipaddress.ip_address(ip.strip().strip("[]"))
        except ValueError:
            return Fcrdns(ip, (), (), None, self.name, at, f"not an IP address: {ip!r}")
        ptr = self.ptr(str(addr))
        if isinstance(ptr, Skipped):
            return Fcrdns(ip, (), (), None, self.name, at, ptr.reason)
        if not ptr.records:
            return Fcrdns(ip, (), (), False, self.name, at, "the address has no reverse DNS (PTR) name")
        names = ptr.records[:10]
        confirmed: list[str] = []
        errors: list[str] = []
        for name in names:
            found, failed = self.addresses(name)
            errors.extend(s.reason for s in failed)
            if any(_same_ip(f, addr) for f in found):
                confirmed.append(name)
        if confirmed:
            return Fcrdns(ip, names, tuple(confirmed), True, self.name, at)
        if errors:
            return Fcrdns(ip, names, (), None, self.name, at, errors[0])
        return Fcrdns(ip, names, (), False, self.name, at,
                      f"none of its PTR names ({', '.join(names)}) resolves back to {ip}")


def _encode(answer: DnsAnswer | Skipped) -> dict[str, Any]:
    if isinstance(answer, Skipped):
        return {"skipped": answer.to_dict()}
    return answer.to_dict()


def _decode(data: Any) -> DnsAnswer | Skipped:
    if "skipped" in data:
        s = data["skipped"]
        return Skipped(s["provider"], s["reason"], s.get("target", ""))
    return DnsAnswer(data["name"], data["rdtype"], tuple(data["records"]), data["status"], data["source"],
                     data["obtained_at"], data.get("ttl"))


def _same_ip(text: str, addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    try:
        return ipaddress.ip_address(text) == addr
    except ValueError:
        return False


def _text(rd: Any, rdtype: str) -> str:
    if rdtype == "TXT":
        return b"".join(rd.strings).decode("utf-8", "replace")
    if rdtype in ("PTR", "CNAME", "NS"):
        return str(rd.target.to_text(omit_final_dot=True))
    if rdtype == "MX":
        return f"{rd.preference} {rd.exchange.to_text(omit_final_dot=True)}"
    return str(rd.to_text())


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
