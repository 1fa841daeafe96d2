"""From a ``Report`` to an ``Article``: the sections a reader needs, in the order they need
them, with every value from the mail marked as such and every indicator defanged."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ..models import Hop, Link
from ..report import Report
from ..scoring import default_scores
from . import worldmap
from .body import BodyLink, MailBody, clean
from .defang import defang, split_indicators
from .enrichment import EnrichmentLike, read_enrichment
from .model import (
    Article,
    Block,
    BodyText,
    Bullets,
    Fields,
    FindingItem,
    Header,
    Line,
    LinkItem,
    LinkList,
    MapFigure,
    Para,
    Section,
    Seg,
)
from .texts import TEXTS

MAX_LINKS = 30
MAX_VALUE = 300
_PLACEHOLDER_RE = re.compile(r"\{(\w+)\}")
_SENTENCE_RE = {"ja": re.compile(r"(?<=。)"), "en": re.compile(r"(?<=[.!?])\s+(?=[A-Z])")}
_LINK_SOURCE = {
    "ja": {"img": "画像の読み込み先", "form": "入力フォームの送信先", "iframe": "埋め込みページ",
           "frame": "埋め込みページ"},
    "en": {"img": "image source", "form": "form target", "iframe": "embedded page", "frame": "embedded page"},
}


class Ctx:
    def __init__(self, report: Report, lang: str) -> None:
        if lang not in TEXTS:
            raise ValueError(f"unsupported language {lang!r}: use 'ja' or 'en'")
        self.report = report
        self.lang = lang
        self.texts = TEXTS[lang]
        self.official = tuple(d.lower() for d in report.brand.official_domains) if report.brand else ()
        self.brand = "" if report.brand is None else (report.brand.name if lang == "ja" else report.brand.name_en)
        self.known = tuple(sorted(_known_values(report)))

    def t(self, key: str, **values: str) -> str:
        text = self.texts[key]
        return _PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), text)

    def line(self, key: str, **values: Line | str) -> Line:
        """A sentence whose placeholders are filled with segments (or plain text)."""
        out: Line = []
        pos = 0
        text = self.texts[key]
        for m in _PLACEHOLDER_RE.finditer(text):
            if m.start() > pos:
                out.append(("t", text[pos : m.start()]))
            value = values.get(m.group(1))
            if value is None:
                out.append(("t", m.group(0)))
            elif isinstance(value, str):
                out.append(("t", value))
            else:
                out.extend(value)
            pos = m.end()
        if pos < len(text):
            out.append(("t", text[pos:]))
        return out

    def prose(self, text: str) -> Line:
        """A sentence that mentions indicators: plain text, defanged indicators, official domains."""
        text = " ".join(clean(text).split())
        kinds = {"text": "t", "indicator": "ioc", "official": "ok"}
        return [(kinds[p.kind], p.text) for p in split_indicators(text, known=self.known, official=self.official)]

    def value_text(self, value: str, *, keep_spaces: bool = False) -> str:
        value = clean(value).replace("\n", " ") if keep_spaces else " ".join(clean(value).split())
        if len(value) > MAX_VALUE:
            value = value[:MAX_VALUE] + "…"
        return "".join(p.text for p in split_indicators(value, known=self.known, official=self.official))

    def v(self, value: str) -> Line:
        """A value from the mail, shown as code, with its indicators defanged."""
        return [("v", self.value_text(value))]

    def ioc(self, value: str) -> Line:
        return [("ioc", defang(" ".join(clean(value).split())))]

    def domain(self, value: str) -> Line:
        """A domain: as written when it is one of the brand's, defanged otherwise."""
        if value.lower() in self.official:
            return [("ok", value)]
        return self.ioc(value)


def _known_values(report: Report) -> set[str]:
    values: set[str] = set()
    for link in report.links:
        values.update((link.url, link.host, link.registrable_domain))
    for a in (report.sender, report.header_from, report.return_path, *report.reply_to):
        if a is not None:
            values.update((a.address, a.domain, a.registrable_domain))
    values.add(report.message_id_domain)
    for h in report.hops:
        values.update(v for v in (h.helo, h.rdns, h.ip, h.by, h.for_addr) if v)
    return {v for v in values if v and ("." in v or ":" in v or "@" in v)}


def _join(parts: Iterable[Line], sep: str) -> Line:
    out: Line = []
    for i, part in enumerate(parts):
        if i:
            out.append(("t", sep))
        out.extend(part)
    return out


def _sentences(text: str, lang: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_RE[lang].split(text) if s.strip()]


def _country_name(code: str, fallback: str, lang: str) -> str:
    shape = worldmap.country(code) if code else None
    if shape is not None:
        name = shape.name_ja if lang == "ja" else shape.name_en
        if name:
            return name
    return fallback or code


def _when(date: str | None) -> str:
    if not date:
        return ""
    try:
        dt = datetime.fromisoformat(date)
    except ValueError:
        return " ".join(clean(date).split())[:60]
    offset = dt.utcoffset()
    if offset is not None and offset.total_seconds() == 0:
        return dt.strftime("%Y-%m-%d %H:%M UTC")
    return dt.strftime("%Y-%m-%d %H:%M %z").strip()


def _is_official(ctx: Ctx, link: Link) -> bool:
    return bool(ctx.official) and link.registrable_domain.lower() in ctx.official


def _danger(ctx: Ctx, registrable: str) -> bool:
    return ctx.report.verdict != "clean" and not (ctx.official and registrable.lower() in ctx.official)


# -- sections --------------------------------------------------------------------------------


def _advice(ctx: Ctx) -> Section:
    items = [ctx.prose(s) for s in _sentences(ctx.report.advice[ctx.lang], ctx.lang)]
    return Section("advice", ctx.t("h.advice"), [Bullets(items)])


def _phrases(ctx: Ctx, finding_id: str) -> list[str]:
    out: list[str] = []
    for f in ctx.report.findings:
        if f.id == finding_id:
            out.extend(e.split(": ", 1)[1] for e in f.evidence if e.startswith("phrase: "))
    return out


def _subject(ctx: Ctx) -> Section:
    r = ctx.report
    raw = " ".join(clean(r.subject_raw).split())
    if not raw:
        return Section("subject", ctx.t("h.subject"), [Para([("t", ctx.t("subject.none"))])])
    marks: list[tuple[int, int]] = []
    low = raw.lower()

    def mark(word: str) -> bool:
        i = low.find(word.lower()) if word else -1
        if i < 0 or any(not (i + len(word) <= a or i >= b) for a, b in marks):
            return i >= 0
        marks.append((i, i + len(word)))
        return True

    stamps_in_subject = [s for s in r.spam_stamps if mark(s)]
    urgent = [w for w in _phrases(ctx, "URGENCY_PHRASES") if mark(w)]
    threat = [w for w in _phrases(ctx, "ACCOUNT_THREAT") if mark(w)]
    segs: Line = []
    pos = 0
    for a, b in sorted(marks):
        if a > pos:
            segs.append(("v", ctx.value_text(raw[pos:a], keep_spaces=True)))
        segs.append(("mark", ctx.value_text(raw[a:b], keep_spaces=True)))
        pos = b
    if pos < len(raw):
        segs.append(("v", ctx.value_text(raw[pos:], keep_spaces=True)))
    rows: list[tuple[str, Line]] = [(ctx.t("subject.raw"), segs)]
    if stamps_in_subject and r.subject and r.subject != raw:
        rows.append((ctx.t("subject.clean"), ctx.v(r.subject)))
    blocks: list[Block] = [Fields(rows)]
    notes: list[Line] = []
    for s in stamps_in_subject:
        notes.append([("flag", "🚩 "), *ctx.line("subject.stamp", stamp=ctx.v(s))])
    for s in r.spam_stamps:
        if s not in stamps_in_subject:
            notes.append([("flag", "🚩 "), *ctx.line("subject.header_stamp", stamp=ctx.v(s))])
    if urgent:
        notes.append([("flag", "⚠ "), *ctx.line("subject.urgent", words=_join((ctx.v(w) for w in urgent[:3]), " "))])
    if threat:
        notes.append([("flag", "⚠ "), *ctx.line("subject.threat", words=_join((ctx.v(w) for w in threat[:3]), " "))])
    if notes:
        blocks.append(Bullets(notes))
    return Section("subject", ctx.t("h.subject"), blocks)


def _sender(ctx: Ctx) -> Section:
    r = ctx.report
    s = r.sender
    blocks: list[Block] = []
    if s is None:
        blocks.append(Para([("t", ctx.t("sender.none"))]))
        return Section("sender", ctx.t("h.sender"), blocks)
    name = " ".join(clean(s.display_name_raw).split())
    rows: list[tuple[str, Line]] = [
        (ctx.t("sender.name"), ctx.v(name) if name else [("t", ctx.t("sender.noname"))]),
        (ctx.t("sender.address"), ctx.ioc(s.address) if s.address else [("t", "-")]),
    ]
    if s.domain:
        dom = ctx.domain(s.domain)
        if s.registrable_domain and s.registrable_domain != s.domain:
            dom = [*dom, *ctx.line("sender.registrable", domain=ctx.domain(s.registrable_domain))]
        rows.append((ctx.t("sender.domain"), dom))
    if r.brand is not None:
        rows.append((ctx.t("sender.official", brand=ctx.brand),
                     _join(([("ok", d)] for d in r.brand.official_domains), ", ")))
    for rt in r.reply_to:
        rows.append((ctx.t("sender.reply_to"), ctx.ioc(rt.address) if rt.address else ctx.v(rt.display_name_raw)))
    blocks.append(Fields(rows))
    if r.brand is not None and s.registrable_domain:
        if s.registrable_domain.lower() in ctx.official:
            blocks.append(Para([("flag", "✓ "), *ctx.line("sender.match", brand=ctx.brand)], "good"))
        elif name:
            blocks.append(Para([("flag", "✗ "), *ctx.line("sender.mismatch", name=ctx.v(name),
                                                          domain=ctx.domain(s.registrable_domain), brand=ctx.brand)],
                               "bad"))
        else:
            blocks.append(Para([("flag", "✗ "), *ctx.line("sender.mismatch.noname",
                                                          domain=ctx.domain(s.registrable_domain), brand=ctx.brand)],
                               "bad"))
    elif r.brand is None and r.verdict != "clean":
        blocks.append(Para([("t", ctx.t("sender.nobrand"))]))
    for rt in r.reply_to:
        if rt.registrable_domain and rt.registrable_domain != s.registrable_domain:
            blocks.append(Para([("flag", "⚠ "), *ctx.line("sender.reply_differs",
                                                          domain=ctx.domain(rt.registrable_domain))], "bad"))
            break
    blocks.append(Para([("t", ctx.t("sender.tip"))], "note"))
    return Section("sender", ctx.t("h.sender"), blocks)


def _origin_country(ctx: Ctx) -> str:
    c = ctx.report.origin_country
    return _country_name(c.code, c.name, ctx.lang) if c else ""


def _headers(ctx: Ctx) -> Section:
    r = ctx.report
    from_dom = r.sender.registrable_domain if r.sender else ""
    blocks: list[Block] = [Para([("t", ctx.t("headers.intro"))])]
    labels = (ctx.t("headers.what"), ctx.t("headers.here"))
    # Return-Path
    rp = r.return_path
    if rp is None or not rp.address:
        rp_value: Line = [("t", ctx.t("sender.noname"))]
        rp_here = [("t", ctx.t("rp.none"))]
    else:
        rp_value = [("ioc", "<" + defang(rp.address) + ">")]
        if not rp.domain:
            rp_here = [("t", ctx.t("rp.nodomain"))]
        elif from_dom and rp.registrable_domain == from_dom:
            rp_here = ctx.line("rp.same", domain=ctx.domain(rp.domain))
        else:
            rp_here = ctx.line("rp.differs", domain=ctx.domain(rp.domain), **{"from": ctx.domain(from_dom or "-")})
    blocks.append(Header("Return-Path", rp_value, [("t", ctx.t("rp.what"))], rp_here, labels))
    # Message-ID
    if not r.message_id:
        mid_value: Line = [("t", ctx.t("sender.noname"))]
        mid_here = [("t", ctx.t("mid.none"))]
    else:
        mid_value = ctx.v(r.message_id)
        mdom = r.message_id_domain
        if not mdom:
            mid_here = [("t", ctx.t("mid.nodomain"))]
        elif from_dom and (mdom == from_dom or mdom.endswith("." + from_dom)):
            mid_here = ctx.line("mid.same", domain=ctx.domain(mdom))
        else:
            mid_here = ctx.line("mid.differs", domain=ctx.domain(mdom), **{"from": ctx.domain(from_dom or "-")})
    blocks.append(Header("Message-ID", mid_value, [("t", ctx.t("mid.what"))], mid_here, labels))
    # Received (the origin hop)
    o = r.origin
    if o is None:
        blocks.append(Header("Received", [("t", ctx.t("sender.noname"))], [("t", ctx.t("rcv.what"))],
                             [("t", ctx.t("rcv.none"))], labels))
    else:
        here: Line = []
        if o.helo:
            here.extend(ctx.line("rcv.helo", helo=ctx.ioc(o.helo)))
        else:
            here.append(("t", ctx.t("rcv.nohelo")))
        if o.ip:
            country = _origin_country(ctx)
            paren = ctx.t("country.paren", country=country) if country else ""
            here.extend(ctx.line("rcv.ip", ip=ctx.ioc(o.ip), country=paren))
            if o.rdns:
                here.extend(ctx.line("rcv.rdns", rdns=ctx.ioc(o.rdns)))
            else:
                here.append(("t", ctx.t("rcv.nordns")))
        else:
            here.append(("t", ctx.t("rcv.noip")))
        value = ctx.value_text(o.raw)
        blocks.append(Header("Received", [("v", value)], [("t", ctx.t("rcv.what"))], here, labels))
    return Section("headers", ctx.t("h.headers"), blocks)


def _hop_line(ctx: Ctx, hop: Hop, *, origin: bool, country: str) -> Line:
    sep = ctx.t("route.sep")
    who: list[Line] = []
    if hop.helo:
        who.append(ctx.line("route.claims", helo=ctx.ioc(hop.helo)))
    details: list[Line] = []
    if hop.ip:
        details.append(ctx.line("route.ip", ip=ctx.ioc(hop.ip)))
    if hop.rdns:
        details.append(ctx.line("route.rdns", rdns=ctx.ioc(hop.rdns)))
    elif hop.ip:
        details.append([("t", ctx.t("route.nordns"))])
    if origin and country:
        details.append([("t", country)])
    if not who and not details:
        who.append([("t", ctx.t("route.unknown"))])
    sender: Line = _join(who, " ")
    if details:
        open_, close = ("（", "）") if ctx.lang == "ja" else (" (", ")")
        sender = [*sender, ("t", open_), *_join(details, sep), ("t", close)] if who else _join(details, sep)
    line: Line = []
    if origin:
        line.append(("b", ctx.t("route.origin")))
    line.extend(ctx.line("route.from", **{"from": sender}))
    line.extend(ctx.line("route.by", by=ctx.ioc(hop.by)) if hop.by else [("t", ctx.t("route.byunknown"))])
    if hop.auth:
        line.append(("t", ctx.t("route.auth")))
    when = _when(hop.date)
    if when:
        line.append(("t", f" — {when}"))
    return line


def _route(ctx: Ctx) -> Section:
    r = ctx.report
    if not r.hops:
        return Section("route", ctx.t("h.route"), [Para([("t", ctx.t("route.none"))])])
    origin_index = next((i for i, h in enumerate(r.hops) if r.origin is not None and h is r.origin), -1)
    if origin_index < 0 and r.origin is not None:
        origin_index = next((i for i, h in enumerate(r.hops) if h == r.origin), -1)
    items: list[Line] = []
    highlight: set[int] = set()
    country = _origin_country(ctx)
    for n, i in enumerate(range(len(r.hops) - 1, -1, -1)):
        hop = r.hops[i]
        is_origin = i == origin_index
        line = _hop_line(ctx, hop, origin=is_origin, country=country)
        if is_origin:
            line = [("flag", "🚩 "), *line]
            highlight.add(n)
        elif origin_index >= 0 and i > origin_index:
            line.append(("t", ctx.t("route.before")))
        items.append(line)
    intro = [("t", ctx.t("route.intro", n=str(len(r.hops))))]
    if highlight:
        intro.extend(ctx.line("route.flag", flag=[("flag", "🚩")]))
    return Section("route", ctx.t("h.route"), [Para(intro), Bullets(items, ordered=True, highlight=highlight)])


@dataclass(frozen=True, slots=True)
class MapSpec:
    points: list[worldmap.MapPoint]
    highlight: tuple[str, ...]  # the origin country
    home: str  # the impersonated brand's country, when it is another one
    home_label: str


def map_spec(report: Report, lang: str, enrichment: EnrichmentLike | None = None) -> MapSpec:
    """What goes on the map: the origin (a city from the look-ups, else its country's label point),
    other looked-up locations, and the impersonated brand's home country for comparison."""
    view = read_enrichment(enrichment, lang)
    looked_up = [e.location for e in (view.items if view else ()) if e.location is not None]
    points: list[worldmap.MapPoint] = []
    c = report.origin_country
    if c is not None and not any(p.kind == "origin" for p in looked_up):
        shape = worldmap.country(c.code)
        if shape is not None:
            points.append(worldmap.MapPoint(shape.label[0], shape.label[1],
                                            _country_name(c.code, c.name, lang), "origin"))
    points.extend(looked_up)
    home, home_label = "", ""
    b = report.brand
    if (points and b is not None and b.role == "impersonated" and (c is None or b.country != c.code)
            and worldmap.country(b.country) is not None):
        home = b.country
        name = _country_name(b.country, b.country, lang)
        home_label = f"{name}（{b.name}）" if lang == "ja" else f"{name}: {b.name_en}"
    return MapSpec(points, (c.code,) if c is not None else (), home, home_label)


def _map(ctx: Ctx, enrichment: EnrichmentLike | None, image: str | None) -> Section:
    r = ctx.report
    title = ctx.t("h.map")
    o, c = r.origin, r.origin_country
    spec = map_spec(r, ctx.lang, enrichment)
    points = spec.points if worldmap.available() else []
    caption: list[Line] = []
    city = next((p for p in points if p.kind == "origin" and not (c and p.label == _origin_country(ctx))), None)
    if o is not None and o.ip and c is not None:
        country = _origin_country(ctx)
        if city is not None:
            caption.append(ctx.line("map.caption.city", ip=ctx.ioc(o.ip), country=country, code=c.code,
                                    place=[("v", ctx.value_text(city.label))]))
        else:
            caption.append(ctx.line("map.caption", ip=ctx.ioc(o.ip), country=country, code=c.code))
        brand = r.brand
        if (brand is not None and brand.role == "impersonated" and brand.country != c.code
                and worldmap.country(brand.country) is not None):
            home = _country_name(brand.country, brand.country, ctx.lang)
            caption.append(ctx.line("map.brand", brand=ctx.brand, home=home, country=country))
    elif o is not None and o.ip:
        caption.append(ctx.line("map.nocountry", ip=ctx.ioc(o.ip)))
    else:
        caption.append([("t", ctx.t("map.noorigin"))])
    if any(p.kind == "hosting" for p in points):
        caption.append([("t", ctx.t("map.hosting"))])
    if not worldmap.available() and (c is not None or enrichment):
        caption.append([("t", ctx.t("map.nodata"))])
    if points:
        source = c.source if c is not None else ""
        caption.append([("t", ctx.t("map.source", source=source or "-"))])
        svg = worldmap.svg(points, spec.highlight, ctx.t("map.alt"), home=spec.home, home_label=spec.home_label)
        return Section("map", title, [MapFigure(svg, image or "", ctx.t("map.alt"), caption)])
    return Section("map", title, [Para(line) for line in caption])


def _body(ctx: Ctx, body: MailBody | None) -> Section:
    title = ctx.t("h.body")
    if body is None:
        return Section("body", title, [Para([("t", ctx.t("body.missing"))])])
    blocks: list[Block] = []
    if body.pieces:
        blocks.append(Para([("t", ctx.t("body.intro"))], "note"))
        lines: list[Line] = [[]]
        for piece in body.pieces:
            if isinstance(piece, BodyLink):
                reg = _registrable(piece.url)
                danger = _danger(ctx, reg)
                url = [("ioc", defang(piece.url))]
                if piece.text:
                    for k, part in enumerate(piece.text.split("\n")):
                        if k:
                            lines.append([])
                        if part:
                            lines[-1].append(("link" if danger else "v", ctx.value_text(part)))
                    lines[-1].append(("t", " "))
                    lines[-1].extend(ctx.line("body.link" if danger else "body.link.ok", url=url))
                else:
                    lines[-1].extend(ctx.line("body.bare", url=url) if danger else url)
                continue
            for k, part in enumerate(piece.split("\n")):
                if k:
                    lines.append([])
                if part:
                    lines[-1].append(("v", "".join(p.text for p in split_indicators(
                        part, known=ctx.known, official=ctx.official))))
        if body.truncated:
            lines.append([("t", ctx.t("body.truncated"))])
        blocks.append(BodyText(lines))
    else:
        blocks.append(Para([("t", ctx.t("body.empty"))]))
    if body.attachments:
        rows = [(ctx.t("body.attachments"), _join((ctx.v(a) for a in body.attachments), ", "))]
        blocks.append(Fields(rows))
        if ctx.report.verdict != "clean":
            blocks.append(Para([("flag", "⚠ "), ("t", ctx.t("body.attachments.warn"))], "bad"))
    return Section("body", title, blocks)


def _registrable(url: str) -> str:
    from ..urls import make_link

    link = make_link(url, "", "text")
    return link.registrable_domain if link else ""


def _links(ctx: Ctx) -> Section:
    r = ctx.report
    title = ctx.t("h.links")
    if not r.links:
        return Section("links", title, [Para([("t", ctx.t("links.none"))])])
    intro = ctx.line("links.intro", example1=[("v", "www.example.co.jp")], example2=[("v", "example.co.jp")])
    items: list[LinkItem] = []
    for link in r.links[:MAX_LINKS]:
        danger = _danger(ctx, link.registrable_domain)
        head: Line = [("flag", "⚠ " if danger else ("✓ " if _is_official(ctx, link) else "")), *ctx.ioc(link.url)]
        if head[0][1] == "":
            head = head[1:]
        source = _LINK_SOURCE[ctx.lang].get(link.source)
        if source:
            head.append(("t", f"（{source}）" if ctx.lang == "ja" else f" ({source})"))
        details: list[Line] = []
        if link.text:
            details.append([("t", ctx.t("links.text")), ("v", ctx.value_text(link.text))])
        dom: Line = [("t", ctx.t("links.domain")), *ctx.domain(link.registrable_domain or link.host)]
        if ctx.brand:
            dom.append(("t", ctx.t("links.official" if _is_official(ctx, link) else "links.notofficial",
                                   brand=ctx.brand)))
        details.append(dom)
        shown = _registrable(link.text) if link.text else ""
        if shown and shown != link.registrable_domain:
            details.append([("flag", "⚠ "), ("t", ctx.t("links.mismatch"))])
        items.append(LinkItem(danger, head, details))
    blocks: list[Block] = [Para(intro, "note"), LinkList(items)]
    if len(r.links) > MAX_LINKS:
        blocks.append(Para([("t", ctx.t("links.more", n=str(len(r.links) - MAX_LINKS)))]))
    return Section("links", title, blocks)


def _reputation(ctx: Ctx, enrichment: EnrichmentLike | None) -> Section:
    r = ctx.report
    title = ctx.t("h.reputation")
    view = read_enrichment(enrichment, ctx.lang)
    if view is None:
        items: list[Line] = []
        if r.origin is not None and r.origin.ip:
            items.append([("t", ctx.t("rep.ip")), *ctx.ioc(r.origin.ip)])
        if r.sender and r.sender.registrable_domain and r.sender.registrable_domain.lower() not in ctx.official:
            items.append([("t", ctx.t("rep.sender")), *ctx.ioc(r.sender.registrable_domain)])
        seen: set[str] = set()
        for link in r.links:
            d = link.registrable_domain or link.host
            if d and d.lower() not in ctx.official and d not in seen:
                seen.add(d)
                items.append([("t", ctx.t("rep.link")), *ctx.ioc(d)])
        blocks: list[Block] = [Para([("t", ctx.t("rep.offline"))])]
        if items:
            blocks.append(Bullets(items[:20]))
        return Section("reputation", title, blocks)
    blocks = []
    if not view.items:
        blocks.append(Para([("t", ctx.t("rep.empty"))]))
    entries: list[LinkItem] = []
    for e in view.items:
        head: Line = ctx.domain(e.indicator) if e.kind == "domain" else ctx.ioc(e.indicator)
        details = [[("t", f"{k}: "), ("v", ctx.value_text(v))] for k, v in e.facts]
        if e.location is not None and e.location.label and e.location.kind == "hosting":
            details.append([("flag", "📍 "), ("v", ctx.value_text(e.location.label))])
        entries.append(LinkItem(False, head, details))
    if entries:
        blocks.append(LinkList(entries))
    if view.skipped:
        blocks.append(Para([("t", ctx.t("rep.skipped"))], "note"))
        blocks.append(Bullets([ctx.v(m) for m in view.skipped[:10]]))
    for source in view.sources:
        blocks.append(Para([("t", ctx.t("rep.source", source="")), *ctx.prose(source)], "note"))
    return Section("reputation", title, blocks)


def _findings(ctx: Ctx) -> Section:
    r = ctx.report
    title = ctx.t("h.findings")
    if not r.findings:
        return Section("findings", title, [Para([("t", ctx.t("findings.none"))])])
    texts = default_scores().texts
    blocks: list[Block] = [Para([("t", ctx.t("findings.intro", score=f"{r.score:g}"))])]
    for f in r.findings:
        name = texts.get(f.id, {}).get(f"title_{ctx.lang}") or f.id
        # A composite's evidence is the ids of its parts: show their titles.
        evidence = [[("t", texts[e][f"title_{ctx.lang}"])] if e in texts and f"title_{ctx.lang}" in texts[e]
                    else ctx.v(e) for e in f.evidence[:6]]
        blocks.append(FindingItem(ctx.t("point" if abs(f.score) == 1 else "points", points=f"{f.score:+g}"), name,
                                  ctx.prose(f.explanation.get(ctx.lang, "")), evidence))
    return Section("findings", title, blocks)


def _warnings(ctx: Ctx) -> Section | None:
    if not ctx.report.warnings:
        return None
    return Section("warnings", ctx.t("h.warnings"), [Bullets([ctx.v(w) for w in ctx.report.warnings[:20]])])


def build(report: Report, lang: str, *, body: MailBody | None, enrichment: EnrichmentLike | None,
          map_image: str | None) -> Article:
    ctx = Ctx(report, lang)
    r = report
    if r.verdict == "phishing" and r.brand is not None and r.brand.role == "impersonated":
        title = ctx.t("title.phishing.brand", brand=ctx.brand)
    else:
        title = ctx.t(f"title.{r.verdict}")
    subject = " ".join(clean(r.subject_raw).split())
    lead = ctx.line("lead", subject=ctx.v(subject)) if subject else [("t", ctx.t("lead.nosubject"))]
    sections = [
        _advice(ctx),
        _subject(ctx),
        _sender(ctx),
        _headers(ctx),
        _route(ctx),
        _map(ctx, enrichment, map_image),
        _body(ctx, body),
        _links(ctx),
        _reputation(ctx, enrichment),
        _findings(ctx),
    ]
    warnings = _warnings(ctx)
    if warnings is not None:
        sections.append(warnings)
    footer = [ctx.line("footer", hxxp=[("v", "hxxp")], dot=[("v", "[.]")], at=[("v", "[@]")]),
              [("t", ctx.t("footer.map"))]]
    return Article(lang=lang, verdict=r.verdict, title=title, lead=lead,
                   verdict_label=f"{ctx.t('verdict')}: {ctx.t('verdict.' + r.verdict)}",
                   score=ctx.t("score", score=f"{r.score:g}"), summary=ctx.prose(r.summary.get(lang, "")),
                   sections=sections, footer=footer)


__all__ = ["MapSpec", "Seg", "build", "map_spec"]
