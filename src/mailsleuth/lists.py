"""Domain lists: free and disposable mail providers, URL shorteners, file and subdomain hosts,
suspicious top-level domains.

Each list is a text file in ``data/lists/`` named ``<name>.txt``: one lower-case name per line,
``#`` starts a comment (a whole line, or the rest of a line after an entry), blank lines are
skipped.  The files copied from Sublime Security's static-files say so in their ``# source:``
header (MIT, ``LICENSE-sublime-static-files``).  A list is read once per process.

Names are the file stems: ``free_email_providers``, ``japanese_free_email_providers``,
``disposable_email_providers``, ``url_shorteners``, ``suspicious_tlds``, ``free_file_hosts``,
``free_subdomain_hosts``, ``bulk_mailer_url_root_domains``,
``self_service_creation_platform_domains``, ``popular_domains`` (the Tranco top 10,000).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

__all__ = ["domain_set", "in_list", "list_names", "tld_is_suspicious"]


def _lists_dir() -> Traversable:
    return resources.files("mailsleuth").joinpath("data", "lists")


@cache
def list_names() -> tuple[str, ...]:
    """Names of the lists shipped in ``data/lists`` (sorted)."""
    return tuple(sorted(p.name[:-4] for p in _lists_dir().iterdir() if p.name.endswith(".txt")))


@cache
def domain_set(name: str) -> frozenset[str]:
    """The entries of list ``name``, lower-cased, without comments or blank lines.

    Raises ``KeyError`` naming the known lists when ``name`` is not one of them.
    """
    if name not in list_names():
        raise KeyError(f"unknown domain list {name!r}; known lists: {', '.join(list_names())}")
    text = _lists_dir().joinpath(f"{name}.txt").read_text(encoding="utf-8")
    entries: set[str] = set()
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip().lower().rstrip(".")
        if entry:
            entries.add(entry)
    return frozenset(entries)


def _normalize_host(host: str) -> str:
    """Lower case, no trailing dot, the domain of an address, IDNA (``xn--``) for Unicode names."""
    host = host.strip().lower()
    if "@" in host:
        host = host.rsplit("@", 1)[1]
    host = host.strip("[]").rstrip(".")
    if not host.isascii():
        labels = []
        for label in host.split("."):
            try:
                labels.append(label.encode("idna").decode("ascii") if not label.isascii() else label)
            except UnicodeError:
                labels.append(label)
        host = ".".join(labels)
    return host


MAX_LABELS = 12  # deeper than any listed domain or public suffix


def in_list(name: str, domain: str) -> bool:
    """``domain`` (a host name, or an address whose domain is used) or one of its parent
    domains is in list ``name``: ``a.b.example.com`` is in a list holding ``example.com``.

    Parents are tried down to two labels: a bare top-level domain never matches a list of
    domains (``suspicious_tlds`` has its own function, :func:`tld_is_suspicious`).
    """
    entries = domain_set(name)
    host = _normalize_host(domain)
    if not host:
        return False
    if host in entries:
        return True
    # Only the last labels can hold a listed domain; a hostile host of thousands of labels
    # must not cost thousands of joins per list.
    labels = host.split(".")[-MAX_LABELS:]
    return any(".".join(labels[i:]) in entries for i in range(1, len(labels) - 1))


def tld_is_suspicious(host: str) -> bool:
    """The top-level domain (or listed public suffix such as ``co.za``) of ``host`` is in
    ``suspicious_tlds``: ``foo.xyz`` yes, ``foo.cn`` only if ``cn`` were listed."""
    entries = domain_set("suspicious_tlds")
    labels = _normalize_host(host).split(".")[-MAX_LABELS:]
    return any(".".join(labels[i:]) in entries for i in range(1, len(labels)))
