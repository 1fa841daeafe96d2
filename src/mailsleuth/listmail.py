"""Mailing-list relaying: recognise it, find the original sender, and name the list's own
domains so that its footer links and relay hops are not held against the mail."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .domains import registrable_domain

_ANGLE_RE = re.compile(r"<([^<>]+)>")
_VIA_RE = re.compile(r"\s+via\s+[^<>]{1,80}$", re.IGNORECASE)
_URL_HOST_RE = re.compile(r"(?i)(?:https?|ftp)://([^/\s>:]+)")
_MAILTO_RE = re.compile(r"(?i)mailto:([^?>\s]+)")


@dataclass(frozen=True, slots=True)
class ListInfo:
    list_id: str  # "osst-users.lists.sourceforge.net" (the angle-bracket part of List-Id)
    post_address: str  # "osst-users@lists.sourceforge.net" or ""
    domains: frozenset[str]  # registrable domains the list runs on
    tag_names: tuple[str, ...]  # lower-case names a subject tag may carry ("osst-users")
    # a list that relays its members' posts (List-Post, X-BeenThere, Mailman): its own footer links are
    # not the post's. A List-Id alone is what every newsletter tool stamps on its own mail.
    relays: bool = True
    hosts: frozenset[str] = frozenset()  # host names the list headers name (its archive, web pages, post domain)


def detect_list(header: Callable[[str], str | None]) -> ListInfo | None:
    list_id_raw = header("List-Id") or ""
    post = header("List-Post") or ""
    been_there = header("X-BeenThere") or ""
    if not (list_id_raw or post or been_there or header("X-Mailman-Version")):
        return None
    m = _ANGLE_RE.search(list_id_raw)
    list_id = (m.group(1) if m else list_id_raw).strip().lower()
    pm = _MAILTO_RE.search(post)
    post_address = (pm.group(1) if pm else been_there).strip().lower()
    hosts: list[str] = []
    if "." in list_id:
        hosts.append(list_id.split(".", 1)[1])
    if "@" in post_address:
        hosts.append(post_address.rsplit("@", 1)[1])
    for name in ("List-Archive", "List-Unsubscribe", "List-Subscribe", "List-Help"):
        value = header(name) or ""
        hosts.extend(_URL_HOST_RE.findall(value))
        hosts.extend(a.rsplit("@", 1)[-1] for a in _MAILTO_RE.findall(value))
    domains = frozenset(d for d in (registrable_domain(h) for h in hosts) if d)
    named = frozenset(h.lower().rstrip(".") for h in hosts if h)
    tags = {list_id.split(".", 1)[0]} if list_id else set()
    if "@" in post_address:
        tags.add(post_address.split("@", 1)[0])
    relays = bool(post or been_there or header("X-Mailman-Version"))
    return ListInfo(list_id=list_id, post_address=post_address, domains=domains,
                    tag_names=tuple(sorted(t for t in tags if t)), relays=relays, hosts=named)


def strip_list_tag(subject: str, info: ListInfo) -> tuple[str, str]:
    """Remove a leading ``[List-Name]`` tag naming this list; return (subject, tag)."""
    m = re.match(r"\s*((?:re|fwd?|aw)\s*:\s*)?\[([^\]]{1,60})\]\s*", subject, re.IGNORECASE)
    if m and m.group(2).strip().lower() in info.tag_names:
        return (m.group(1) or "") + subject[m.end():], m.group(0).strip()
    return subject, ""


def strip_via(display_name: str) -> tuple[str, bool]:
    """``"Amazon.co.jp via Osst-users"`` -> (``"Amazon.co.jp"``, True)."""
    new = _VIA_RE.sub("", display_name)
    return new, new != display_name
