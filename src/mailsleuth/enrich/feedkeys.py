"""How feed entries and mail links are reduced to keys that can be compared.

Feeds and mail write the same phishing page in many ways: ``http`` and ``https`` (JPCERT/CC
lists both), with or without a trailing slash, upper-case host names, typos in the scheme
(``hhttps://``, ``ttps://`` occur in the JPCERT/CC files), defanged dots (``evil[.]com``), a
stray full-width space. :func:`split_entry` reduces each to

* a **URL key**: host + path + query, without scheme, port, fragment or trailing slash -
  the same page whichever way it was written;
* the **host** (lower-case, IDNA decoded, exactly as :func:`mailsleuth.domains.normalize_host`
  gives it for links), and
* the **registrable domain** from the Public Suffix List (``x.github.io`` stays whole).

A match on the URL or on the host names the phishing server; a match on the registrable
domain only says that another host of the same domain was listed. A listed URL that carries
another URL in its path or query is a redirect through someone else's server (open
redirects of news sites, ``t.umblr.com``, ``disq.us``, ``linkedin.com``): it is matched by
its exact URL only, never by its host or domain. That is wrong for shared
platforms, so :class:`SharedPlatforms` says which hosts and domains are never matched as a
whole: brands' official domains (a page under ``sites.google.com`` must not list all of
``google.com``), and the project's lists of free file hosts, free subdomain hosts,
self-service site builders, URL shorteners and bulk mailers' click-tracking domains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..brands import BrandIndex
from ..domains import is_ip, normalize_host, psl, registrable_domain
from ..lists import domain_set

SHARED_LISTS = ("free_file_hosts", "free_subdomain_hosts", "self_service_creation_platform_domains",
                "url_shorteners", "bulk_mailer_url_root_domains")

# scheme (any, typos included), authority, then path and query up to a fragment
_URL_RE = re.compile(r"^(?:([a-z][a-z0-9+.\-]{0,15}):/+)?([^/?#\\]*)([^#]*)", re.IGNORECASE)
_BAD_HOST_RE = re.compile(r"[\s<>\"'`{}|^]")
# a URL inside the path or query (plain or percent-encoded): the listed URL is a redirect
_EMBEDDED_URL_RE = re.compile(r"(?i)https?(?::|%3a)(?:/|%2f)|=www\.")

@dataclass(frozen=True, slots=True)
class EntryKeys:
    key: str  # "u:" + URL key for a URL, "h:" + host for a bare host name
    url: str  # the entry as the feed wrote it (trimmed)
    host: str
    domain: str  # registrable domain, "" for IP addresses and bare public suffixes
    redirect: bool = False  # the path or query carries another URL (t.umblr.com/redirect?z=https://...)


def url_key(url: str) -> str:
    """The comparable form of ``url`` (host + path + query), "" when it has no usable host."""
    found = split_entry(url)
    return found.key[2:] if found is not None and found.key.startswith("u:") else ""


def split_entry(raw: str) -> EntryKeys | None:
    """Keys of one feed line: a URL (with any scheme) or a bare host name; None when unusable."""
    text = raw.strip(" \t\r\n\u3000\ufeff")
    if "[.]" in text or "(.)" in text:
        text = text.replace("[.]", ".").replace("(.)", ".")
    m = _URL_RE.match(text)
    if not text or text[0] == "#" or m is None:
        return None
    scheme, authority, tail = m.groups()
    host = normalize_host(authority)
    if not host or _BAD_HOST_RE.search(host) or ("." not in host and not is_ip(host)):
        return None
    domain = _registrable(host)
    if scheme is None and not tail:
        return EntryKeys(key="h:" + host, url=text, host=host, domain=domain)
    tail = tail.replace("\\", "/")
    path, _, query = tail.partition("?")
    return EntryKeys(key="u:" + host + path.rstrip("/") + ("?" + query if query else ""), url=text, host=host,
                     domain=domain, redirect=bool(_EMBEDDED_URL_RE.search(tail)))


def _registrable(host: str) -> str:
    """:func:`mailsleuth.domains.registrable_domain` of a normalised host, without its costly
    IP-address test for names that cannot be addresses (a third of the import time)."""
    if not host[-1].isalpha() or ":" in host:
        return registrable_domain(host)
    try:
        found = psl().privatesuffix(host)
    except (ValueError, UnicodeError):
        return ""
    return str(found) if found else ""


class SharedPlatforms:
    """Hosts and registrable domains that many unrelated people publish under."""

    def __init__(self, brands: BrandIndex) -> None:
        entries: set[str] = set()
        for name in SHARED_LISTS:
            entries |= domain_set(name)
        self._hosts = frozenset(normalize_host(e) for e in entries)
        # a listed platform host (sites.google.com) makes its registrable domain (google.com) shared
        parents = {registrable_domain(e) for e in self._hosts}
        owned: set[str] = set()
        platform: set[str] = set()
        for b in brands.brands:
            owned.update(normalize_host(d) for d in (*b.official_domains, *b.free_mail_domains))
            platform.update(normalize_host(d) for d in b.shared_domains)
        self._owned = frozenset(owned)
        self._domains = frozenset((self._hosts | parents | owned | platform) - {""})
        self._platform = frozenset(platform)

    def host_is_shared(self, host: str) -> bool:
        """A host whose pages belong to many people: a listed platform host (``bit.ly``,
        ``sites.google.com``) or any host of a brand's own domain (``docs.google.com``).
        Tenant hosts (``evil.firebaseapp.com``, ``tenant.sharepoint.com``) are not shared."""
        bare = host[4:] if host.startswith("www.") else host
        if host in self._hosts or bare in self._hosts or bare in self._platform:
            return True
        return registrable_domain(host) in self._owned

    def domain_is_shared(self, domain: str) -> bool:
        """A registrable domain that must never be matched as a whole."""
        return not domain or domain in self._domains
