"""The shareable report: a 注意喚起 (warning) article about one mail, in Markdown or HTML.

    from mailsleuth.article import render_markdown, render_html, write_map_png, read_body

    data = open("mail.eml", "rb").read()
    report = mailsleuth.analyze(data)
    md = render_markdown(report, "ja", mail=data)          # links to map.png beside it
    write_map_png(report, Path("out/map.png"))
    page = render_html(report, "ja", mail=data)            # one self-contained file

The article follows what a reader needs, in order: the verdict and its reason, what to do,
the subject, the sender against the brand's real domains, the three headers (Return-Path,
Message-ID, Received) explained, the route, a map of where the mail came from, the body,
each link with its real domain, reputation (offline: not checked), and every finding.

Every URL, host, IP and mail address is defanged (``hxxps://www[.]example[.]cn/``) and shown
as code; the HTML has no script, no link and no external resource, and a Content-Security-
Policy that forbids them. Nothing is fetched, at run time or when the page is opened.

The body: pass the raw message as ``mail=`` (its HTML part is turned into text, each link
kept with its real target), or a ``MailBody`` as ``body=``, or plain ``body_text=``.

Enrichment (look-ups done elsewhere: WHOIS, hosting, location) is optional. Its shape::

    {
      "source": "RDAP and GeoLite2 City, 2026-11-28",       # shown under the section
      "items": [
        {"indicator": "revapec.cn", "kind": "domain",         # kind: domain | ip | host | url
         "facts": {"registrar": "Alibaba Cloud", "created": "2022-03-20"},   # or [[label, value], ...]
         "location": {"lat": 34.05, "lon": -118.24, "label": "Los Angeles, US"}},   # optional: a map marker
      ]
    }

Without it the section says that nothing was checked (offline) and lists the indicators to
check.
"""

from __future__ import annotations

from pathlib import Path

from ..report import Report
from . import html as _html
from . import markdown as _markdown
from . import worldmap
from .body import BodyLink, MailBody, read_body
from .build import build, map_spec
from .defang import defang, defang_text
from .enrichment import EnrichmentLike, from_report


def _body(mail: bytes | None, body: MailBody | None, body_text: str | None) -> MailBody | None:
    if body is not None:
        return body
    if mail is not None:
        return read_body(mail)
    if body_text is not None:
        return MailBody.from_text(body_text)
    return None


def _safe_name(name: str | None) -> str | None:
    """A PNG file name for a Markdown image: a plain relative name, nothing that could be a URL."""
    if not name:
        return None
    if "://" in name or name.startswith(("/", "\\")) or ":" in name or any(c in name for c in "()<>[]\n\r\t "):
        raise ValueError(f"map_png_name must be a plain relative file name, not {name!r}")
    return name


def has_map(report: Report, enrichment: EnrichmentLike | None = None) -> bool:
    """There is something to place on the map and the map data is installed."""
    return worldmap.available() and bool(map_spec(report, "en", enrichment).points)


def render_markdown(report: Report, lang: str = "ja", *, map_png_name: str | None = "map.png",
                    mail: bytes | None = None, body: MailBody | None = None, body_text: str | None = None,
                    enrichment: EnrichmentLike | None = None) -> str:
    """The article as Markdown. ``map_png_name`` is the PNG that ``write_map_png`` writes beside
    the Markdown file (None: no image); it is referred to only when there is a map to show."""
    name = _safe_name(map_png_name)
    image = name if name and has_map(report, enrichment) else None
    article = build(report, lang, body=_body(mail, body, body_text), enrichment=enrichment, map_image=image)
    return _markdown.render(article)


def render_html(report: Report, lang: str = "ja", *, mail: bytes | None = None, body: MailBody | None = None,
                body_text: str | None = None, enrichment: EnrichmentLike | None = None) -> str:
    """The article as one self-contained HTML page (inline SVG map, no scripts, strict CSP)."""
    article = build(report, lang, body=_body(mail, body, body_text), enrichment=enrichment, map_image=None)
    return _html.render(article)


def write_map_png(report: Report, path: Path, *, enrichment: EnrichmentLike | None = None) -> bool:
    """Write the map as a PNG at ``path``; False (and nothing written) when there is nothing to place
    or the map data is not installed. Needs Pillow."""
    if not worldmap.available():
        return False
    spec = map_spec(report, "en", enrichment)  # Pillow's built-in font has Latin letters only
    if not spec.points:
        return False
    Path(path).write_bytes(worldmap.png(spec.points, spec.highlight, home=spec.home, home_label=spec.home_label))
    return True


__all__ = [
    "BodyLink",
    "EnrichmentLike",
    "MailBody",
    "defang",
    "defang_text",
    "from_report",
    "has_map",
    "read_body",
    "render_html",
    "render_markdown",
    "write_map_png",
]
