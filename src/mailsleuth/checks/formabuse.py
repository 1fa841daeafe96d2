"""Spam posted through someone else's web form or chat widget: a shop's "send to a friend" page, a
newsletter's sign-up form, a site's live-chat transcript. The site's own template mails the
pitch, so sender, authentication and template links all belong to an honest site; only the field
the spammer typed into (the name, the chat message) carries the ad, and it shows in how that
field reads: the greeting's name slot holds a link, or an arrow points at a raw address of
another site.

Both checks read bounded prefixes of the text with bounded regexes, so the cost stays linear.
"""

from __future__ import annotations

import re

from ..domains import registrable_domain
from ..evidence import Evidence
from . import Hit, check

MAX_SCAN = 20_000  # characters of body text a check reads

# A greeting at the start of a line, then nothing a name is written in (no Latin letter) before a
# link or a bare host with a path: "Hi ✅ +$1,733 ➡️ https://...", "Hola 某某，...网站：short.cc/xYz".
# A real greeting names a person ("Hi Anna,") before any link.
_GREETING_LINK_RE = re.compile(
    r"(?im)^[ \t]*(hi|hello|hey|dear|hola|ol[aá]|oi|hallo|bonjour|ciao|salut)\b([^A-Za-z\n]{0,200}?)"
    r"(https?://[^\s<>\"]{1,200}|www\.[^\s<>\"]{1,200}|[a-z0-9-]{2,30}\.[a-z]{2,6}/[^\s<>\"]{1,200})")
# An arrow or ">>" pointing at a raw address: the call to action of a pitch typed into a field. The
# arrow stands after a word and a blank, so a quote marker (">>" opening a line) or a closing
# guillemet ("warming.»") is no arrow.
_ARROW_LINK_RE = re.compile(r"[^\s>][ \t]{1,4}(?:>>|»|→|➡|👉|⇒|►|▶)[\ufe0f ]{0,6}(https?://([^/\s<>\"?#:]{1,255})[^\s<>\"]{0,200})")


@check("GREETING_HOLDS_LINK", "content")
def greeting_holds_link(ev: Evidence) -> Hit | None:
    """The greeting's name slot holds a link instead of a name (``Hi ✅ +$1,733 ➡️ https://...``):
    a spammer typed the pitch into the name field of a site's sign-up or "send to a friend" form,
    and the site's own template mailed it out under the site's name. A greeting names a person
    before anything else; no mail program puts a link there."""
    if ev.from_mail_system:
        return None
    m = _GREETING_LINK_RE.search(ev.text[:MAX_SCAN])
    if m is None:
        return None
    line = " ".join(m.group(0).split())
    return Hit(evidence=[f"greeting: {line[:120]}", f"link: {m.group(3)[:100]}"],
               params={"link": m.group(3)[:80]})


@check("ARROW_TO_FOREIGN_LINK", "content")
def arrow_to_foreign_link(ev: Evidence) -> Hit | None:
    """An arrow or ">>" points at a raw address on another site than the sender's
    (``FREE BTC >> https://forms...``, ``👉 https://...``): the call to action of a pitch typed
    into a chat widget or form that a site then mailed out. A sender pointing at its own pages
    links them under words; an arrow at a stranger's bare address is someone else's ad."""
    if ev.from_mail_system:
        return None
    own = ev.from_addr.registrable_domain if ev.from_addr else ""
    for m in _ARROW_LINK_RE.finditer(ev.text[:MAX_SCAN]):
        host = m.group(2).lower().rstrip(".")
        reg = registrable_domain(host) or host
        if reg and reg != own:
            return Hit(evidence=[f"arrow at: {m.group(1)[:100]}", f"sender domain: {own or '-'}"],
                       params={"host": host[:80]})
    return None
