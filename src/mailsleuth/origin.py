"""Which Received hop is the origin: the first hop, walking down from the top, whose client
is outside the receiving organisation.

Headers above that hop were written by servers we trust (the recipient's own, and for list
mail the list's relays); everything below it was written by the sender and may be forged.
A hop is inside when its client IP is private or loopback, when its client's reverse DNS
is in a domain already known to be inside, or, for list mail, when it sits at or above the
hop that delivered the mail into the list. The HELO name is never trusted for this: it is
what the client claims. Only a list that relays posts (List-Post, X-BeenThere, Mailman)
counts: a bare List-Id is a newsletter's stamp that any sender can write, and taking its
domain for "inside" would let a sender push the origin down to a Received line it forged.
"""

from __future__ import annotations

from .domains import is_ip, registrable_domain
from .listmail import ListInfo
from .models import Hop
from .received import is_public_ip


def _by_domain(hop: Hop) -> str:
    return registrable_domain(hop.by) if hop.by and not is_ip(hop.by) else ""


def _list_entry_index(hops: list[Hop], info: ListInfo) -> int:
    """Index of the topmost hop addressed to the list (``for <list@...>``), or -1.

    The topmost one, because the sender's own servers may record the list address too: the
    hop where the list's servers took the mail in is the first one met walking down."""
    for i, hop in enumerate(hops):
        rcpt = (hop.for_addr or "").lower()
        if rcpt and (rcpt == info.post_address
                     or registrable_domain(rcpt.rsplit("@", 1)[-1]) in info.domains):
            return i
    return -1


def find_origin(hops: list[Hop], info: ListInfo | None = None) -> int | None:
    """Index into ``hops`` (top = most recent first) of the origin hop, or None."""
    inside: set[str] = set()
    if hops:
        top = _by_domain(hops[0])
        if top:
            inside.add(top)
    if info is not None and info.relays:  # a bare List-Id is a newsletter's stamp: anyone can write one
        inside |= info.domains
        entry = _list_entry_index(hops, info)
        for hop in hops[: entry + 1]:
            dom = _by_domain(hop)
            if dom:
                inside.add(dom)
    for i, hop in enumerate(hops):
        if hop.ip is None and hop.rdns is None and hop.helo is None:
            continue  # "by host with HTTP/local": no client recorded
        if hop.ip is not None and not is_public_ip(hop.ip):
            dom = _by_domain(hop)
            if dom:
                inside.add(dom)
            continue
        client = registrable_domain(hop.rdns) if hop.rdns else ""
        if client and client in inside:
            dom = _by_domain(hop)
            if dom:
                inside.add(dom)
            continue
        if hop.ip is None:
            continue  # a name without an address cannot be located or judged
        return i
    return None
