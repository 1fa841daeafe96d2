"""The mail is a forward: say which message was analysed and who forwarded it."""

from __future__ import annotations

from ..evidence import Evidence
from . import Hit, check


def _who(name: str, address: str) -> str:
    if name and address:
        return f"{name} <{address}>"
    return name or address or "?"


@check("FORWARDED_MESSAGE", "structure")
def forwarded_message(ev: Evidence) -> Hit | None:
    """The mail forwards another one, and the analysis judged the forwarded message: the person
    who forwarded it is not what the reader asks about. An inline forward keeps only the sender,
    date, subject and text of the original - its route and authentication are gone, so the reader
    is asked for the original as an attachment (.eml)."""
    if ev.forwarded_by is None:
        return None
    sender = _who(ev.from_addr.display_name_raw, ev.from_addr.address) if ev.from_addr else "?"
    fwd = ev.inline_forward
    date = fwd.date if fwd is not None else (ev.message.get("Date") or "")
    forwarder = _who(ev.forwarded_by.display_name_raw, ev.forwarded_by.address)
    how = "inline" if fwd is not None else "attached"
    evidence = [f"forwarded {how} by: {forwarder}", f"original from: {sender}",
                f"original subject: {ev.subject[:200]}", f"original date: {date[:100]}"]
    if fwd is not None:
        evidence.append(f"separator: {fwd.separator[:80]}")
    if fwd is not None:
        route_ja = ("転送文には元のメールの経路（Received）と認証結果が残らないため、それらは判定に使っていません。"
                    "確かめるには元のメールを添付ファイル（.eml）として転送してもらってください。")
        route_en = ("An inline forward keeps neither the route (Received) nor the authentication of the original, "
                    "so they were not judged; to check them, ask for the original forwarded as an attachment (.eml).")
    else:
        route_ja = "添付された元のメールのヘッダー（経路・認証結果）で判定しました。"
        route_en = "The headers of the attached original (route, authentication) were judged."
    return Hit(evidence=evidence, params={"sender": sender, "subject": ev.subject[:200], "date": date[:100] or "?",
                                          "forwarder": forwarder, "route_ja": route_ja, "route_en": route_en})
