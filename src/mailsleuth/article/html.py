"""The article as one self-contained HTML file.

No scripts, no external resources of any kind (fonts, images, styles), no links: the map is
inline SVG, the styles one ``<style>`` element allowed by its hash in a Content-Security-Policy
that forbids everything else. Every text inserted is escaped; the mail's own HTML is never
rendered, only its text.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

from .model import (
    Article,
    Block,
    BodyText,
    Bullets,
    Fields,
    FindingItem,
    Header,
    Line,
    LinkList,
    MapFigure,
    Para,
    Section,
)

CSS = """
:root{--ink:#1d2330;--muted:#5b6475;--line:#dfe3ea;--bg:#f3f5f8;--card:#fff;--red:#b3261e;--red-bg:#fdecea;
--green:#1e6b34;--green-bg:#e7f4ea;--amber:#8a5a00;--amber-bg:#fff4d6;--code-bg:#f1f3f7}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font-family:"Hiragino Kaku Gothic ProN","Hiragino Sans",
"Noto Sans CJK JP","Noto Sans JP","Yu Gothic UI","Yu Gothic",Meiryo,system-ui,-apple-system,"Segoe UI",sans-serif;
font-size:16px;line-height:1.85;letter-spacing:.02em;overflow-wrap:anywhere}
main{max-width:820px;margin:0 auto;padding:28px 20px 48px}
header.top{margin-bottom:18px}
.brandline{font-size:.8rem;color:var(--muted);letter-spacing:.08em;margin:0 0 6px}
h1{font-size:1.6rem;line-height:1.45;margin:0 0 10px;font-weight:800}
.lead{margin:0;color:var(--muted)}
.banner{border-radius:14px;padding:18px 22px;margin:18px 0 26px;color:#fff;box-shadow:0 2px 6px rgba(20,30,50,.12)}
.banner .label{display:flex;flex-wrap:wrap;align-items:baseline;gap:6px 14px;font-size:1.35rem;font-weight:800}
.banner .score{font-size:.95rem;font-weight:600;opacity:.92}
.banner p{margin:8px 0 0;font-size:1rem;line-height:1.75}
.banner code{background:rgba(255,255,255,.18);color:#fff;border-color:rgba(255,255,255,.35)}
.v-phishing{background:#b3261e}.v-spam{background:#b45309}.v-suspicious{background:#fff1c2;color:#4a3500}
.v-suspicious code{background:rgba(0,0,0,.06);color:#4a3500;border-color:rgba(0,0,0,.12)}
.v-clean{background:#1e6b34}
section{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:6px 24px 18px;margin:0 0 18px}
h2{font-size:1.2rem;margin:16px 0 10px;padding-left:12px;border-left:5px solid var(--red);line-height:1.5}
.v-clean-page h2{border-left-color:#1e6b34}
h3{font-size:1.02rem;margin:18px 0 6px}
p{margin:8px 0}
ul,ol{margin:8px 0;padding-left:1.5em}
li{margin:4px 0}
li::marker{color:var(--muted)}
code{font-family:ui-monospace,"SFMono-Regular","Noto Sans Mono CJK JP","Noto Sans Mono",Menlo,Consolas,monospace;
font-size:.88em;background:var(--code-bg);border:1px solid var(--line);border-radius:5px;padding:1px 5px;
word-break:break-all}
code.ioc{background:var(--red-bg);border-color:#f2c4bf;color:var(--red)}
code.ok{background:var(--green-bg);border-color:#bfe0c7;color:var(--green)}
mark{background:#ffe27a;color:#3a2a00;border-radius:4px;padding:1px 4px;font-family:inherit}
.advice li{font-weight:600}
dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:6px 16px;margin:10px 0}
dl.fields dt{color:var(--muted);font-size:.92rem}
dl.fields dd{margin:0}
.good{background:var(--green-bg);border-radius:8px;padding:8px 12px;color:var(--green)}
.bad{background:var(--red-bg);border-radius:8px;padding:8px 12px;color:#7a1b14}
.note{color:var(--muted);font-size:.92rem}
.header{border-top:1px solid var(--line);margin-top:12px}
.header .value{margin:4px 0 8px}
.header dl{margin:6px 0}
.header dt{font-weight:700;font-size:.9rem;color:var(--muted)}
.header dd{margin:0 0 6px}
ol.route li.hl{background:var(--red-bg);border-radius:8px;padding:4px 8px}
figure{margin:10px 0}
svg.map{display:block;width:100%;height:auto;border-radius:10px;border:1px solid var(--line)}
figcaption p{font-size:.92rem;margin:6px 0}
pre.body{background:#fafbfc;border:1px solid var(--line);border-radius:10px;padding:14px 16px;margin:10px 0;
white-space:pre-wrap;word-break:break-word;font-family:inherit;font-size:.95rem;line-height:1.8}
pre.body code{font-size:.85em}
pre.body .link{background:var(--red-bg);color:var(--red);border:0;text-decoration:underline wavy #e08a83;
font-family:inherit;font-size:1em}
ol.links>li{margin:10px 0}
ol.links ul{list-style:none;padding-left:0;margin:2px 0}
.finding{border-top:1px solid var(--line);padding-top:4px}
.finding h3{display:flex;gap:10px;align-items:baseline}
.pts{flex:none;background:var(--red);color:#fff;border-radius:999px;padding:0 10px;font-size:.85rem}
.v-clean-page .pts{background:#1e6b34}
.finding ul{font-size:.92rem}
.flag{display:inline-flex;align-items:center;justify-content:center;width:1.35em;height:1.35em;border-radius:50%;
color:#fff;font-size:.78em;font-weight:800;line-height:1;margin-right:.35em;vertical-align:.08em;font-family:inherit}
.f-red{background:var(--red)}.f-amber{background:#d08a00}.f-green{background:var(--green)}.f-blue{background:#1a5fb4}
footer{color:var(--muted);font-size:.85rem;padding:8px 4px}
@media print{body{background:#fff}section{border:0;padding:0 0 8px}.banner{box-shadow:none}}
""".strip()

CSP_TEMPLATE = ("default-src 'none'; style-src '{hash}'; img-src 'none'; font-src 'none'; connect-src 'none'; "
                "script-src 'none'; object-src 'none'; media-src 'none'; frame-src 'none'; child-src 'none'; "
                "worker-src 'none'; manifest-src 'none'; form-action 'none'; base-uri 'none'")


def csp() -> str:
    digest = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode("ascii")
    return CSP_TEMPLATE.format(hash=f"sha256-{digest}")


_CODE_CLASS = {"v": "", "ioc": "ioc", "ok": "ok"}
_HL = ' class="hl"'
_FLAGS = {"🚩": ("f-red", "!"), "⚠": ("f-amber", "!"), "✗": ("f-red", "✗"), "✓": ("f-green", "✓"),
          "📍": ("f-blue", "●")}


def line(segs: Line) -> str:
    out: list[str] = []
    for kind, text in segs:
        t = escape(text, quote=True)
        if kind in _CODE_CLASS:
            stripped = text.strip()
            if not stripped:
                out.append(t)
                continue
            lead = " " if text[:1].isspace() else ""
            trail = " " if text[-1:].isspace() else ""
            cls = _CODE_CLASS[kind]
            attr = f' class="{cls}"' if cls else ""
            out.append(f"{lead}<code{attr}>{escape(stripped, quote=True)}</code>{trail}")
        elif kind == "mark":
            out.append(f"<mark>{t}</mark>")
        elif kind == "link":
            out.append(f'<span class="link">{t}</span>')
        elif kind == "b":
            out.append(f"<strong>{t}</strong>")
        elif kind == "flag" and text.strip() in _FLAGS:
            cls, symbol = _FLAGS[text.strip()]
            out.append(f'<span class="flag {cls}">{symbol}</span>')
        else:
            out.append(t)
    return "".join(out).strip()


def _block(block: Block) -> str:
    if isinstance(block, Para):
        cls = f' class="{block.style}"' if block.style else ""
        return f"<p{cls}>{line(block.segs)}</p>"
    if isinstance(block, Fields):
        rows = "".join(f"<dt>{escape(label)}</dt><dd>{line(value)}</dd>" for label, value in block.rows)
        return f'<dl class="fields">{rows}</dl>'
    if isinstance(block, Bullets):
        tag = "ol" if block.ordered else "ul"
        cls = ' class="route"' if block.ordered else ""
        items = "".join(f"<li{_HL if i in block.highlight else ''}>{line(item)}</li>"
                        for i, item in enumerate(block.items))
        return f"<{tag}{cls}>{items}</{tag}>"
    if isinstance(block, LinkList):
        entries: list[str] = []
        for item in block.items:
            details = "".join(f"<li>{line(d)}</li>" for d in item.details)
            entries.append(f"<li>{line(item.head)}{f'<ul>{details}</ul>' if details else ''}</li>")
        return f'<ol class="links">{"".join(entries)}</ol>'
    if isinstance(block, BodyText):
        # The mail's own words read as text here, not as code.
        lines = ([("t", text) if kind == "v" else (kind, text) for kind, text in segs] for segs in block.lines)
        return '<pre class="body">' + "\n".join(line(segs) for segs in lines) + "</pre>"
    if isinstance(block, MapFigure):
        caption = "".join(f"<p>{line(c)}</p>" for c in block.caption)
        return f"<figure>{block.svg}<figcaption>{caption}</figcaption></figure>"
    if isinstance(block, Header):
        what, here = block.labels
        return (f'<div class="header"><h3>{escape(block.name)}</h3><p class="value">{line(block.value)}</p>'
                f"<dl><dt>{escape(what)}</dt><dd>{line(block.what)}</dd>"
                f"<dt>{escape(here)}</dt><dd>{line(block.here)}</dd></dl></div>")
    if isinstance(block, FindingItem):
        evidence = "".join(f"<li>{line(e)}</li>" for e in block.evidence)
        return (f'<div class="finding"><h3><span class="pts">{escape(block.points)}</span>'
                f"<span>{escape(block.title)}</span></h3><p>{line(block.explanation)}</p>"
                f"{f'<ul>{evidence}</ul>' if evidence else ''}</div>")
    raise TypeError(f"unknown block {type(block).__name__}")


def _section(section: Section) -> str:
    body = "".join(_block(b) for b in section.blocks)
    return f'<section class="{escape(section.key)}"><h2>{escape(section.title)}</h2>{body}</section>'


def render(article: Article) -> str:
    brandline = "mailsleuth 注意喚起レポート" if article.lang == "ja" else "mailsleuth warning report"
    page_class = "v-clean-page" if article.verdict == "clean" else ""
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(article.lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{escape(csp(), quote=False)}">',  # no " in it
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="robots" content="noindex">',
        f"<title>{escape(article.title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        f'<body class="{page_class}">' if page_class else "<body>",
        "<main>",
        f'<header class="top"><p class="brandline">{escape(brandline)}</p><h1>{escape(article.title)}</h1>'
        f'<p class="lead">{line(article.lead)}</p></header>',
        f'<div class="banner v-{escape(article.verdict)}" role="alert"><div class="label">'
        f'<span>{escape(article.verdict_label)}</span><span class="score">{escape(article.score)}</span></div>'
        f"<p>{line(article.summary)}</p></div>",
        *(_section(s) for s in article.sections),
        "<footer>" + "".join(f"<p>{line(f)}</p>" for f in article.footer) + "</footer>",
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"
