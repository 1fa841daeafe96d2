"""Host names and registrable domains.

The registrable domain (eTLD+1) comes from the Public Suffix List shipped inside the
``publicsuffixlist`` package, so it works offline and is as fresh as the installed package.
Private suffixes (``blogspot.com``, ``github.io`` ...) count as public suffixes: a page on
``evil.github.io`` belongs to whoever registered ``evil``, not to GitHub.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from functools import cache, lru_cache

from publicsuffixlist import PublicSuffixList

_PORT_RE = re.compile(r":\d{1,5}$")


@cache
def psl() -> PublicSuffixList:
    """The one Public Suffix List instance of the process (loading it takes ~30 ms)."""
    return PublicSuffixList()


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@lru_cache(maxsize=65536)
def normalize_host(host: str) -> str:
    """Lower-case, strip port, brackets, trailing dots and userinfo; decode IDNA (xn--) labels."""
    host = host.strip().rsplit("@", 1)[-1].lower()
    if host.startswith("["):
        return host.strip("[]").split("]")[0]
    host = _PORT_RE.sub("", host).strip(".")
    # Full-width dots and letters (IDN look-alikes) are folded the way browsers do (UTS #46).
    host = host.replace("。", ".").replace("．", ".").replace("｡", ".")
    if "xn--" in host:
        with contextlib.suppress(UnicodeError, ValueError):
            host = host.encode("ascii").decode("idna")
    return host


@lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str:
    """eTLD+1 of ``host`` (``www.eki-net-member.revapec.cn`` -> ``revapec.cn``), "" for IPs,
    bare public suffixes and unparsable names."""
    host = normalize_host(host)
    if not host or is_ip(host) or "." not in host:
        return ""
    host = ".".join(host.split(".")[-12:])  # public suffix rules are a few labels deep
    try:
        found = psl().privatesuffix(host)
    except (ValueError, UnicodeError):
        return ""
    return str(found) if found else ""


@cache
def _strict_psl() -> PublicSuffixList:
    return PublicSuffixList(accept_unknown=False)


def has_known_suffix(host: str) -> bool:
    """The host ends in a suffix the Public Suffix List knows ("R.Hughes" in a name does not)."""
    try:
        return _strict_psl().publicsuffix(normalize_host(host)) is not None
    except (ValueError, UnicodeError):
        return False


def public_suffix(host: str) -> str:
    host = normalize_host(host)
    try:
        found = psl().publicsuffix(host)
    except (ValueError, UnicodeError):
        return ""
    return str(found) if found else ""


def same_organisation(a: str, b: str) -> bool:
    """True when two hosts share a registrable domain (and have one)."""
    ra, rb = registrable_domain(a), registrable_domain(b)
    return bool(ra) and ra == rb
