"""The article as data, shared by the Markdown and HTML renderers.

Text is a list of segments ``(kind, text)``. Kinds:

``t``     plain text written by mailsleuth (translated sentences)
``b``     the same, in bold
``v``     a value taken from the mail (a subject, a display name): shown as code, already defanged
``ioc``   an indicator (URL, host, IP, address): shown as code, already defanged
``ok``    a brand's official domain: shown as code, as written
``mark``  a part of a mail value to point at (a spam stamp, an urgent word): shown highlighted
``link``  the text of a dangerous link in the body: shown as code, marked as a link
``flag``  a warning sign or a tick (🚩 ⚠ ✓ ✗) written by mailsleuth

Renderers escape every segment; nothing here is markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Seg = tuple[str, str]
Line = list[Seg]


@dataclass(slots=True)
class Para:
    segs: Line
    style: str = ""  # "" | "note" | "good" | "bad"


@dataclass(slots=True)
class Fields:
    rows: list[tuple[str, Line]]


@dataclass(slots=True)
class Bullets:
    items: list[Line]
    ordered: bool = False
    highlight: set[int] = field(default_factory=set)  # indexes of items to stand out


@dataclass(slots=True)
class LinkItem:
    danger: bool
    head: Line
    details: list[Line]


@dataclass(slots=True)
class LinkList:
    items: list[LinkItem]


@dataclass(slots=True)
class BodyText:
    lines: list[Line]  # one per line of the mail's text


@dataclass(slots=True)
class MapFigure:
    svg: str  # inline SVG for HTML ("" when there is no map)
    image: str  # file name of the PNG for Markdown ("" for none)
    alt: str
    caption: list[Line]


@dataclass(slots=True)
class Header:
    name: str
    value: Line
    what: Line
    here: Line
    labels: tuple[str, str] = ("", "")  # ("what it is", "in this mail") in the article's language


@dataclass(slots=True)
class FindingItem:
    points: str
    title: str
    explanation: Line
    evidence: list[Line]


Block = Para | Fields | Bullets | LinkList | BodyText | MapFigure | Header | FindingItem


@dataclass(slots=True)
class Section:
    key: str
    title: str
    blocks: list[Block]


@dataclass(slots=True)
class Article:
    lang: str
    verdict: str
    title: str
    lead: Line
    verdict_label: str
    score: str
    summary: Line
    sections: list[Section]
    footer: list[Line]
