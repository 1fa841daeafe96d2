"""RDAP client: domain and IP registration data (RFC 7480-7484, RFC 9083 JSON, RFC 9224 bootstrap).

Why our own small client and not ``whoisit`` (PyPI, 4.1): whoisit can be pointed at a local
server (``load_bootstrap_data(..., allow_insecure=True)``), but its bootstrap is one global
object per process (a second provider fails with "Already bootstrapped"), an IP address that
no bootstrap entry covers silently goes to a real RIR (``rdap.apnic.net``, chosen at random) -
so a test or an offline configuration could reach the internet - its prefix match takes the
first entry, not the longest, its timeout is a module constant and its sync path runs on
``requests``. What we need is small: pick a base URL (:class:`Bootstrap`), GET one JSON
document, follow a redirect or a registry's "related" link once, and read a few RFC 9083
members. That is this module, on ``httpx``.

Nothing here goes online by itself: :meth:`Bootstrap.fetch` downloads IANA's files only when
called (``--online``), and every server is whatever the bootstrap names - tests name
``http://127.0.0.1:PORT/``.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx

from .. import __version__
from .providers import ProviderUnavailable, now_iso
from .registration import DomainRegistration, IpRegistration, iso_datetime

IANA_BASE = "https://data.iana.org/rdap/"
BOOTSTRAP_FILES = ("dns.json", "ipv4.json", "ipv6.json")
DEFAULT_TIMEOUT = 10.0
MAX_ANSWER_BYTES = 2 * 1024 * 1024  # the largest real answers (ARIN with many contacts) are ~100 KB
MAX_REDIRECTS = 5
RDAP_MEDIA_TYPE = "application/rdap+json"
USER_AGENT = f"mailsleuth/{__version__}"

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
JsonSource = str | os.PathLike[str] | Mapping[str, Any]

# A registrant that is no one in particular: ICANN's "REDACTED FOR PRIVACY", registrars'
# "Data Protected", "Withheld for Privacy ehf", "Statutory Masking Enabled" and the like.
_REDACTED = re.compile(r"redacted|privacy|withheld|not disclosed|data protected|statutory masking|gdpr|"
                       r"non-public|hidden|masked", re.IGNORECASE)


class RdapError(Exception):
    """A failed RDAP look-up: an HTTP error other than 404, an answer that is no RDAP JSON, a
    redirect to something other than http(s), an answer larger than the limit."""


# ------------------------------------------------------------------------------- bootstrap

def _as_list(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _base(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _load_json(source: JsonSource) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        return source
    data = json.loads(Path(source).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{source}: not an IANA RDAP bootstrap file (no JSON object)")
    return data


def _services(data: Mapping[str, Any]) -> list[tuple[list[str], list[str]]]:
    """The ``services`` of an IANA bootstrap file (RFC 9224): [[entries], [base URLs]] pairs."""
    out: list[tuple[list[str], list[str]]] = []
    for service in data.get("services", []):
        if isinstance(service, list) and len(service) >= 2:
            out.append(([str(e) for e in service[0]], [str(u) for u in service[1]]))
    return out


def _prefer_https(urls: Iterable[str]) -> tuple[str, ...]:
    """RFC 9224 section 3: when a service lists both, https is the one to use."""
    ordered = sorted((_base(u) for u in urls if urlsplit(u).scheme in ("http", "https")),
                     key=lambda u: not u.startswith("https:"))
    return tuple(ordered)


@dataclass(frozen=True)
class Bootstrap:
    """Which RDAP server to ask: TLD -> base URLs, IP prefix -> base URLs, and an optional
    ``default`` base URL for everything the tables do not cover (a local RDAP proxy, or one
    test server). Without a default, a TLD that no entry covers has no RDAP service."""

    tlds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    networks: Mapping[IpNetwork, tuple[str, ...]] = field(default_factory=dict)
    default: str | None = None

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str | Iterable[str]], default: str | None = None) -> Bootstrap:
        """``{"com": "http://127.0.0.1:8080/rdap/", "104.0.0.0/8": "http://.../arin/"}``: keys
        that are IP prefixes go to the network table, every other key is a TLD (or a longer
        suffix such as ``co.uk``)."""
        tlds: dict[str, tuple[str, ...]] = {}
        networks: dict[IpNetwork, tuple[str, ...]] = {}
        for key, urls in mapping.items():
            bases = tuple(_base(u) for u in _as_list(urls))
            try:
                networks[ipaddress.ip_network(key, strict=False)] = bases
            except ValueError:
                tlds[key.strip(".").lower()] = bases
        return cls(tlds, networks, _base(default) if default else None)

    @classmethod
    def single(cls, base_url: str) -> Bootstrap:
        """One server for every domain and address (a local RDAP proxy or mirror)."""
        return cls(default=_base(base_url))

    @classmethod
    def from_iana(cls, dns_json: JsonSource, ipv4_json: JsonSource | None = None,
                  ipv6_json: JsonSource | None = None, default: str | None = None) -> Bootstrap:
        """From IANA's ``dns.json``, ``ipv4.json`` and ``ipv6.json`` (paths or parsed JSON)."""
        tlds: dict[str, tuple[str, ...]] = {}
        for entries, urls in _services(_load_json(dns_json)):
            for tld in entries:
                tlds[tld.strip(".").lower()] = _prefer_https(urls)
        networks: dict[IpNetwork, tuple[str, ...]] = {}
        for source in (ipv4_json, ipv6_json):
            if source is None:
                continue
            for entries, urls in _services(_load_json(source)):
                for prefix in entries:
                    networks[ipaddress.ip_network(prefix, strict=False)] = _prefer_https(urls)
        return cls(tlds, networks, _base(default) if default else None)

    @classmethod
    def fetch(cls, client: httpx.Client, base: str = IANA_BASE, keep: Path | None = None) -> Bootstrap:
        """Download IANA's current bootstrap files (online: call it only when the user asked);
        with ``keep``, also store them there as they came, to load later with :meth:`from_iana`."""
        docs, bodies = [], []
        for name in BOOTSTRAP_FILES:
            response = client.get(urljoin(_base(base), name))
            response.raise_for_status()
            data = response.json()
            if not isinstance(data, dict):
                raise RdapError(f"{name}: not an IANA RDAP bootstrap file")
            docs.append(data)
            bodies.append(response.content)
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for name, body in zip(BOOTSTRAP_FILES, bodies, strict=True):
                (keep / name).write_bytes(body)
        return cls.from_iana(docs[0], docs[1], docs[2])

    def for_domain(self, domain: str) -> tuple[str, ...]:
        """Base URLs for ``domain``: the longest matching label suffix (RFC 9224 section 4)."""
        labels = domain.strip(".").lower().split(".")
        for i in range(len(labels)):
            bases = self.tlds.get(".".join(labels[i:]))
            if bases:
                return bases
        return (self.default,) if self.default else ()

    def for_ip(self, ip: str) -> tuple[str, ...]:
        """Base URLs for ``ip``: the longest matching prefix (RFC 9224 section 5)."""
        addr = ipaddress.ip_address(ip)
        best: IpNetwork | None = None
        for network in self.networks:
            if addr.version == network.version and addr in network and (
                    best is None or network.prefixlen > best.prefixlen):
                best = network
        if best is not None:
            return self.networks[best]
        return (self.default,) if self.default else ()


# ------------------------------------------------------------------------------- RFC 9083 reading

def _vcard(entity: Mapping[str, Any]) -> list[list[Any]]:
    card = entity.get("vcardArray")
    if isinstance(card, list) and len(card) == 2 and isinstance(card[1], list):
        return [p for p in card[1] if isinstance(p, list) and len(p) >= 4]
    return []


def _vcard_text(entity: Mapping[str, Any], prop: str) -> str:
    for p in _vcard(entity):
        if p[0] == prop:
            value = p[3]
            if isinstance(value, list):  # "org" may be structured: ["Example Inc.", "Unit"]
                value = value[0] if value else ""
            return str(value).strip()
    return ""


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    """English country name (lower case) -> ISO code, from CLDR (babel, a core dependency)."""
    try:
        from babel import Locale
    except ImportError:  # pragma: no cover - babel is a core dependency
        return {}
    return {str(name).lower(): code for code, name in Locale("en").territories.items()
            if len(code) == 2 and code.isalpha()}


def _country(value: str) -> str:
    value = value.strip()
    if len(value) == 2 and value.isalpha():
        return value.upper()
    return _country_names().get(value.lower(), value)


def _vcard_country(entity: Mapping[str, Any]) -> str:
    """The country of an entity's address: the ``cc`` parameter (RFC 8605), else the country
    name of the structured address, else the last line of its label (ARIN writes
    "...\\nUnited States")."""
    for p in _vcard(entity):
        if p[0] != "adr":
            continue
        params = p[1] if isinstance(p[1], dict) else {}
        if params.get("cc"):
            return _country(str(params["cc"]))
        parts = p[3]
        if isinstance(parts, list) and len(parts) >= 7 and isinstance(parts[6], str) and parts[6].strip():
            return _country(parts[6])
        label = params.get("label")
        if isinstance(label, str) and label.strip():
            return _country(label.strip().splitlines()[-1])
    return ""


def _entities(doc: Mapping[str, Any], depth: int = 2) -> list[Mapping[str, Any]]:
    """The entities of ``doc`` and, to ``depth`` levels, the entities inside them."""
    found: list[Mapping[str, Any]] = []
    for entity in doc.get("entities", []) or []:
        if isinstance(entity, dict):
            found.append(entity)
            if depth > 1:
                found.extend(_entities(entity, depth - 1))
    return found


def _with_role(doc: Mapping[str, Any], role: str) -> Mapping[str, Any] | None:
    for entity in _entities(doc):
        roles = entity.get("roles") or []
        if isinstance(roles, list) and role in roles:
            return entity
    return None


def _name(entity: Mapping[str, Any] | None, redactable: bool = True) -> str:
    """The entity's full name (vcard ``fn``), else its organisation; "" when redacted (only
    contacts are redacted: a registrar's name is never read as a placeholder)."""
    if entity is None:
        return ""
    for prop in ("fn", "org"):
        value = _vcard_text(entity, prop)
        if value and not (redactable and _REDACTED.search(value)):
            return value
    return ""


def _events(doc: Mapping[str, Any]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for event in doc.get("events", []) or []:
        if isinstance(event, dict) and isinstance(event.get("eventAction"), str):
            action = event["eventAction"].lower()
            if action not in out:
                out[action] = iso_datetime(str(event.get("eventDate", "")))
    return out


def _nameservers(doc: Mapping[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    for ns in doc.get("nameservers", []) or []:
        if isinstance(ns, dict):
            name = str(ns.get("ldhName") or ns.get("unicodeName") or "").strip().rstrip(".").lower()
            if name and name not in out:
                out.append(name)
    return tuple(out)


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _related_registrar_url(doc: Mapping[str, Any]) -> str | None:
    """A thin registry's pointer to the registrar's RDAP answer (``links`` rel "related")."""
    for link in doc.get("links", []) or []:
        if not isinstance(link, dict) or link.get("rel") != "related":
            continue
        href = str(link.get("href", ""))
        media = str(link.get("type", ""))
        if href and urlsplit(href).scheme in ("http", "https") and media in ("", RDAP_MEDIA_TYPE) \
                and "/domain/" in href:
            return href
    return None


def parse_domain(doc: Mapping[str, Any], domain: str, source: str,
                 registrar_doc: Mapping[str, Any] | None = None) -> DomainRegistration:
    """A domain object (RFC 9083 section 5.3) -> :class:`DomainRegistration`. With a thin
    registry, ``registrar_doc`` (the registrar's own answer) fills what the registry lacks:
    the registrant, and anything else the registry left empty."""
    if doc.get("objectClassName", "domain") != "domain":
        raise RdapError(f"{source}: expected a domain object, got {doc.get('objectClassName')!r}")
    extra = registrar_doc or {}
    events = _events(doc)
    extra_events = _events(extra)
    registrant = _with_role(doc, "registrant") or _with_role(extra, "registrant")
    registrant_name = _name(_with_role(doc, "registrant")) or _name(_with_role(extra, "registrant"))
    country = _vcard_country(registrant) if registrant is not None else ""
    return DomainRegistration(
        domain=str(doc.get("ldhName") or domain).rstrip(".").lower(),
        registrar=_name(_with_role(doc, "registrar"), False) or _name(_with_role(extra, "registrar"), False),
        created=events.get("registration") or extra_events.get("registration"),
        updated=events.get("last changed") or extra_events.get("last changed"),
        expires=events.get("expiration") or extra_events.get("expiration"),
        registrant=registrant_name,
        registrant_country="" if _REDACTED.search(country) else country,
        nameservers=_nameservers(doc) or _nameservers(extra),
        status=_strings(doc.get("status")) or _strings(extra.get("status")),
        source=source,
        obtained_at=now_iso(),
    )


def _network_text(doc: Mapping[str, Any]) -> str:
    cidrs = [f"{c.get('v4prefix') or c.get('v6prefix')}/{c.get('length')}"
             for c in doc.get("cidr0_cidrs", []) or [] if isinstance(c, dict)]
    if cidrs:
        return ", ".join(cidrs)
    start, end = str(doc.get("startAddress", "")), str(doc.get("endAddress", ""))
    if not (start and end):
        return start or end
    try:
        nets = list(ipaddress.summarize_address_range(ipaddress.ip_address(start), ipaddress.ip_address(end)))
    except (ValueError, TypeError):
        return f"{start} - {end}"
    return str(nets[0]) if len(nets) == 1 else f"{start} - {end}"


def parse_ip(doc: Mapping[str, Any], ip: str, source: str) -> IpRegistration:
    """An IP network object (RFC 9083 section 5.4) -> :class:`IpRegistration`."""
    if doc.get("objectClassName", "ip network") != "ip network":
        raise RdapError(f"{source}: expected an ip network object, got {doc.get('objectClassName')!r}")
    holder = _with_role(doc, "registrant")
    country = str(doc.get("country") or "").strip()
    return IpRegistration(
        ip=ip,
        network=_network_text(doc),
        name=str(doc.get("name") or ""),
        handle=str(doc.get("handle") or ""),
        country=_country(country) if country else (_vcard_country(holder) if holder else ""),
        org=_name(holder, False),
        source=source,
        obtained_at=now_iso(),
    )


# ------------------------------------------------------------------------------- the provider

class RdapProvider:
    """Asks RDAP servers chosen by a :class:`Bootstrap`; one GET per question, plus at most one
    redirect chain and, for thin registries, one "related" registrar answer."""

    name = "rdap"

    def __init__(self, bootstrap: Bootstrap, timeout: float = DEFAULT_TIMEOUT, *,
                 follow_related: bool = True, max_bytes: int = MAX_ANSWER_BYTES,
                 client: httpx.Client | None = None) -> None:
        self.bootstrap = bootstrap
        self.timeout = timeout
        self.follow_related = follow_related
        self.max_bytes = max_bytes
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False,
            headers={"User-Agent": USER_AGENT, "Accept": f"{RDAP_MEDIA_TYPE}, application/json;q=0.9"})

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RdapProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- questions

    def domain(self, domain: str) -> DomainRegistration | None:
        name = _ascii_domain(domain)
        bases = self.bootstrap.for_domain(name)
        if not bases:
            tld = name.rsplit(".", 1)[-1]
            raise ProviderUnavailable(f"no RDAP service is known for .{tld}")
        found = self.get_json(urljoin(bases[0], "domain/" + quote(name)))
        if found is None:
            return None
        url, doc = found
        registrar_doc: Mapping[str, Any] | None = None
        source = f"rdap:{url}"
        related = _related_registrar_url(doc) if self.follow_related else None
        if related and related.rstrip("/") != url.rstrip("/"):
            try:
                more = self.get_json(related)
            except (RdapError, httpx.HTTPError):
                more = None  # the registry's answer stands on its own; the registrar's only adds
            if more is not None:
                registrar_doc = more[1]
                source = f"rdap:{url} (registrar: {more[0]})"
        return parse_domain(doc, name, source, registrar_doc)

    def ip(self, ip: str) -> IpRegistration | None:
        addr = str(ipaddress.ip_address(ip.strip().strip("[]")))
        bases = self.bootstrap.for_ip(addr)
        if not bases:
            raise ProviderUnavailable(f"no RDAP service is known for {addr}")
        found = self.get_json(urljoin(bases[0], "ip/" + addr))
        if found is None:
            return None
        url, doc = found
        return parse_ip(doc, addr, f"rdap:{url}")

    # -- transport

    def get_json(self, url: str) -> tuple[str, dict[str, Any]] | None:
        """GET ``url`` and its redirects (http and https only); (final URL, JSON object), or
        None for 404. Raises :class:`RdapError` or an ``httpx`` error (timeout, refused)."""
        deadline = time.monotonic() + self.timeout
        for _ in range(MAX_REDIRECTS + 1):
            if urlsplit(url).scheme not in ("http", "https"):
                raise RdapError(f"refusing to follow a redirect to {url!r}: not http(s)")
            with self._client.stream("GET", url) as response:
                if response.is_redirect:
                    location = response.headers.get("Location", "")
                    if not location:
                        raise RdapError(f"{url}: HTTP {response.status_code} without a Location")
                    url = urljoin(url, location)
                    continue
                if response.status_code == 404:
                    return None
                if response.status_code != 200:
                    raise RdapError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
                body = self._read(response, url, deadline)
            return url, _json_object(body, url)
        raise RdapError(f"{url}: more than {MAX_REDIRECTS} redirects")

    def _read(self, response: httpx.Response, url: str, deadline: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise RdapError(f"{url}: answer larger than {self.max_bytes} bytes")
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout(f"{url}: answer not complete within {self.timeout} s")
            chunks.append(chunk)
        return b"".join(chunks)


def _json_object(body: bytes, url: str) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RdapError(f"{url}: not RDAP JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise RdapError(f"{url}: not RDAP JSON (a {type(data).__name__}, not an object)")
    return data


def _ascii_domain(domain: str) -> str:
    """Lower case, no final dot, IDN labels as A-labels (RDAP servers index ``ldhName``)."""
    name = domain.strip().rstrip(".").lower()
    if not name or " " in name or "/" in name:
        raise ValueError(f"not a domain name: {domain!r}")
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name
