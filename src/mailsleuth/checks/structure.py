"""Checks on the form of the message: filter stamps, forms, hidden text, unreadable parts."""

from __future__ import annotations

from ..evidence import Evidence
from . import Hit, check


@check("SPAM_STAMP", "structure")
def spam_stamp(ev: Evidence) -> Hit | None:
    """A spam filter on the way already marked the mail (``[spam]``, ``X-Spam-Flag: YES``)."""
    if not ev.stamps.any:
        return None
    found = [*ev.stamps.subject_stamps, *ev.stamps.headers]
    return Hit(evidence=found, params={"stamps": ", ".join(found[:3])})


@check("HTML_FORM", "structure")
def html_form(ev: Evidence) -> Hit | None:
    """The mail (or an HTML attachment) holds a form asking for a password, card number or PIN.
    Search boxes and newsletter sign-ups are forms too, and are left alone."""
    forms = [f for f in ev.forms if f.sensitive]
    if not forms:
        return None
    form = forms[0]
    asked = [f for f in form.fields if not f.startswith(("hidden:", "submit:", "button:"))]
    return Hit(evidence=[f"form action: {form.action or '(same page)'}", *(f"field: {f}" for f in asked[:5])],
               params={"action": form.action or "(same page)"})


@check("HIDDEN_TEXT", "structure")
def hidden_text(ev: Evidence) -> Hit | None:
    """Text styled to be invisible, padding the mail for filters."""
    hidden = " ".join(h.hidden_text for h in ev.html if h.hidden_text).strip()
    if len(hidden) < 40:
        return None
    return Hit(evidence=[f"hidden text: {hidden[:120]}"], params={"chars": str(len(hidden))})


@check("STRUCTURE_UNREADABLE", "structure")
def structure_unreadable(ev: Evidence) -> Hit | None:
    """Parts of the message could not be read; what could be read was analysed."""
    if not ev.warnings:
        return None
    return Hit(evidence=ev.warnings[:5], params={"count": str(len(ev.warnings))}, confidence=0.5)


@check("STRUCTURE_NOT_EMAIL", "structure")
def structure_not_email(ev: Evidence) -> Hit | None:
    """The input has none of the headers a mail has."""
    names = {name.lower() for name, _ in ev.message.headers}
    if names & {"from", "received", "subject", "date", "message-id", "to"}:
        return None
    return Hit(evidence=[f"header lines: {len(ev.message.headers)}", f"bytes: {ev.message.size}"],
               params={"size": str(ev.message.size)})


@check("IMAGE_ONLY_WITH_LINK", "structure")
def image_only_with_link(ev: Evidence) -> Hit | None:
    """The mail is a picture and a link, with next to no text: what it says is in the image,
    where filters and screen readers cannot read it."""
    if ev.message.text_parts and any(len(t.strip()) > 40 for t in ev.message.text_parts):
        return None
    for html in ev.html:
        images = [link for link in html.links if link.source == "img"]
        clickable = {link.url for link in html.links if link.source == "href"}
        words = len(html.text.split())
        if images and 1 <= len(clickable) <= 3 and words <= 15:
            return Hit(evidence=[f"images: {len(images)}", f"links: {len(clickable)}", f"words of text: {words}"],
                       params={"images": str(len(images)), "words": str(words)})
    return None
