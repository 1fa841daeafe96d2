"""The page in a real browser (Debian's /usr/bin/chromium driven by Playwright, which never downloads a
browser here): choose the seed mail, read the verdict, switch language, open the map, download the article;
the XSS mail runs nothing; no request leaves 127.0.0.1. Skips when playwright or chromium is missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the 'web' extra is not installed (pip install 'mailsleuth[web]')")
from conftest import skip_without_browser

skip_without_browser()

from mailsleuth.web.testing import running_server  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "ekinet-account-deleted.eml"
XSS = Path(__file__).resolve().parent / "data" / "xss-mail.eml"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("webb") / "web.sqlite"
    with running_server(f"sqlite:///{db}") as url:
        yield url


class Watch:
    def __init__(self, page: Any) -> None:
        self.requests: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))

    def check(self, base: str) -> None:
        outside = [u for u in self.requests if not u.startswith(base + "/") and not u.startswith(("data:", "blob:"))]
        assert outside == [], outside
        assert self.errors == [], self.errors
        assert not [m for m in self.console if "Content Security Policy" in m or m.startswith("error")], self.console


def _page(browser: Any, base: str, locale: str) -> tuple[Any, Any, Watch]:
    ctx = browser.new_context(locale=locale, accept_downloads=True, extra_http_headers={"Accept-Language": locale})
    page = ctx.new_page()
    watch = Watch(page)
    page.goto(base + "/", wait_until="load")
    return ctx, page, watch


def test_seed_mail_in_the_page(browser: Any, server: str, tmp_path: Path) -> None:
    ctx, page, watch = _page(browser, server, "ja-JP")
    try:
        assert page.evaluate("() => document.documentElement.lang") == "ja"
        assert page.locator("#go").inner_text() == "調べる"
        page.set_input_files("#file", str(SEED))
        verdict = page.locator("#verdict")
        verdict.wait_for(state="visible", timeout=30_000)
        page.wait_for_function("() => document.getElementById('verdict').textContent.length > 0")
        assert "フィッシング" in verdict.inner_text()
        assert "えきねっと" in page.locator("#brand").inner_text()
        assert "v-phishing" in (page.locator("#verdict-box").get_attribute("class") or "")
        # Tabs: roles and keyboard
        assert page.locator("[role=tab][aria-selected=true]").get_attribute("id") == "tab-findings"
        page.focus("#tab-findings")
        page.keyboard.press("ArrowRight")
        assert page.locator("#panel-sender").is_visible()
        # Language switch
        page.click("button.lang[data-lang=en]")
        assert "Phishing" in verdict.inner_text()
        assert page.evaluate("() => document.documentElement.lang") == "en"
        assert "えきねっと" in page.locator("#brand").inner_text()
        # Map: the article in a sandboxed frame
        page.click("#tab-route")
        frame_el = page.locator("#article")
        assert frame_el.get_attribute("sandbox") == ""
        frame = frame_el.content_frame
        frame.locator("svg.map path").first.wait_for(state="attached", timeout=15_000)
        assert frame.locator("svg.map path").count() >= 2
        # Links are defanged, the body is text
        page.click("#tab-links")
        assert "hxxps://" in page.locator("#links").inner_text()
        page.click("#tab-body")
        assert page.locator("#body").inner_text().strip()
        page.click("#tab-raw")
        assert "Received:" in page.locator("#raw").inner_text()
        # Download the article
        with page.expect_download() as info:
            page.click("#dl-html")
        path = info.value.path()
        text = Path(path).read_text(encoding="utf-8")
        assert "<html" in text and "Eki-Net" in text
        with page.expect_download() as info:
            page.click("#dl-md")
        assert info.value.suggested_filename.endswith(".md")
        # History shows it
        assert page.locator("#history li").count() >= 1
        page.screenshot(path=str(tmp_path / "web.png"), full_page=True)
        watch.check(server)
    finally:
        ctx.close()


def test_english_page_and_paste(browser: Any, server: str) -> None:
    ctx, page, watch = _page(browser, server, "en-US")
    try:
        assert page.evaluate("() => document.documentElement.lang") == "en"
        page.fill("#source", SEED.read_text(encoding="utf-8", errors="replace"))
        page.click("#go")
        page.wait_for_function("() => document.getElementById('verdict').textContent.length > 0", timeout=30_000)
        assert "Phishing" in page.locator("#verdict").inner_text()
        watch.check(server)
    finally:
        ctx.close()


def test_xss_mail_runs_nothing(browser: Any, server: str) -> None:
    for locale in ("ja-JP", "en-US"):
        ctx, page, watch = _page(browser, server, locale)
        try:
            page.set_input_files("#file", str(XSS))
            page.wait_for_function("() => document.getElementById('verdict').textContent.length > 0", timeout=30_000)
            for tab in ("findings", "sender", "route", "links", "body", "raw"):
                page.click(f"#tab-{tab}")
                page.wait_for_timeout(150)
            page.wait_for_timeout(500)
            assert page.evaluate("() => typeof window.__pwned") == "undefined"
            assert page.title() == "mailsleuth"
            assert page.evaluate("() => document.scripts.length") == 1  # our app.js only
            assert "<script>" in page.locator("#raw").inner_text()  # shown as text
            assert page.evaluate(
                "() => [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
                ".filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))") == []
            watch.check(server)
        finally:
            ctx.close()
