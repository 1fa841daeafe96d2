"""The HTML article opened in a real browser (headless Chromium driven by Playwright): it must
fetch nothing but itself, run no script and log nothing (a blocked load would be logged as a
Content-Security-Policy violation).

Needs Debian's ``chromium`` (/usr/bin/chromium) and the ``playwright`` Python package; skips
with a message when either is missing. Playwright never downloads a browser of its own here.
A screenshot of the えきねっと article is written to /tmp/article-ja.png for a person to look at.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Any

import mailsleuth
from conftest import skip_without_browser
from mailsleuth.article import render_html

ROOT = Path(__file__).resolve().parents[1]
XSS = Path(__file__).resolve().parent / "data" / "xss-mail.eml"
SCREENSHOT = Path("/tmp/article-ja.png")

skip_without_browser()


def _open(browser: Any, html_path: Path, screenshot: Path) -> dict[str, Any]:
    page = browser.new_page(viewport={"width": 900, "height": 1200})
    requests: list[str] = []
    console: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    url = html_path.resolve().as_uri()
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)  # let anything that would fire late (refresh, lazy loads) try
    result = {
        "url": url,
        "requests": list(requests),
        "console": list(console),
        "errors": errors,
        "pwned": page.evaluate("() => typeof window.__pwned"),
        "title": page.evaluate("() => document.title"),
        "scripts": page.evaluate("() => document.scripts.length"),
        "handlers": page.evaluate(
            "() => [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
            ".filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))"),
        "links": page.evaluate("() => document.querySelectorAll('a, area, [href], [src]').length"),
        "final_url": page.url,
        "map": page.evaluate("() => document.querySelectorAll('svg.map path').length"),
    }
    page.screenshot(path=str(screenshot), full_page=True)
    # The policy is in force: a load forced in from outside the page (Playwright's evaluate is not
    # subject to it) is blocked and reported.
    before = len(console)
    page.evaluate("() => { const i = document.createElement('img'); i.src = 'http://127.0.0.1:9/probe.png';"
                  " document.body.appendChild(i); }")
    page.wait_for_timeout(300)
    result["csp_probe"] = console[before:]
    page.close()
    return result


def _check(result: dict[str, Any], title: str) -> None:
    assert result["requests"] == [result["url"]], result["requests"]
    assert result["final_url"] == result["url"]
    assert result["console"] == [], result["console"]
    assert result["errors"] == [], result["errors"]
    assert result["pwned"] == "undefined"
    assert result["title"] == title
    assert result["scripts"] == 0
    assert result["handlers"] == []
    assert result["links"] == 0
    assert any("Content Security Policy" in m for m in result["csp_probe"]), result["csp_probe"]


def test_seed_article_in_browser(browser: Any, tmp_path: Path) -> None:
    data = (ROOT / "examples" / "ekinet-account-deleted.eml").read_bytes()
    html = render_html(mailsleuth.analyze(data), "ja", mail=data)
    page = tmp_path / "article-ja.html"
    page.write_text(html, encoding="utf-8")
    shot = tmp_path / "article-ja.png"
    result = _open(browser, page, shot)
    _check(result, "【注意喚起】「えきねっと」を名乗るフィッシング詐欺メール")
    assert result["map"] >= 2  # land and the highlighted country
    assert shot.stat().st_size > 10_000
    with contextlib.suppress(OSError):  # a read-only /tmp does not make the page wrong
        shutil.copyfile(shot, SCREENSHOT)


def test_xss_mail_runs_nothing_and_fetches_nothing(browser: Any, tmp_path: Path) -> None:
    data = XSS.read_bytes()
    report = mailsleuth.analyze(data)
    enrichment = {"items": [{"indicator": "amaz0n-secure.top", "kind": "domain",
                             "facts": {"registrar": "<img src=x onerror=window.__pwned=60>"},
                             "location": {"lat": 52.4, "lon": 4.9, "label": "<script>window.__pwned=61</script>"}}]}
    for lang in ("ja", "en"):
        page = tmp_path / f"xss-{lang}.html"
        page.write_text(render_html(report, lang, mail=data, enrichment=enrichment), encoding="utf-8")
        result = _open(browser, page, tmp_path / f"xss-{lang}.png")
        _check(result, "【注意喚起】「Amazon」を名乗るフィッシング詐欺メール" if lang == "ja"
               else "Warning: phishing mail posing as Amazon")
