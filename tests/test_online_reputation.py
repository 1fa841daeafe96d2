"""Reputation services (VirusTotal, urlscan.io, Safe Browsing) against a local HTTP server on
127.0.0.1 that answers with recorded answers in each service's own JSON format
(tests/data/reputation/) and records every request it gets. Nothing else is contacted."""

from __future__ import annotations

import base64
import json
import logging
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

import mailsleuth
from mailsleuth.enrich.providers import ProviderUnavailable
from mailsleuth.enrich.reputation import (
    RateLimit,
    RateLimited,
    ReputationAnswer,
    ReputationError,
    SafeBrowsingProvider,
    UrlscanProvider,
    VirusTotalProvider,
    providers_from_env,
)
from mailsleuth.enrich.reputation.transport import retry_after
from mailsleuth.enrich.reputation.virustotal import url_id, verdict_from_stats

DATA = Path(__file__).resolve().parent / "data" / "reputation"
KEY = "sk-TEST-5f0c2a9e71d84b36"
URL = "https://www.eki-net-member.revapec.cn/login"
HOST = "www.eki-net-member.revapec.cn"
DOMAIN = "revapec.cn"
VT_URL_PATH = "/api/v3/urls/aHR0cHM6Ly93d3cuZWtpLW5ldC1tZW1iZXIucmV2YXBlYy5jbi9sb2dpbg"


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Route:
    status: int
    body: str | bytes  # a file name in tests/data/reputation, or the body itself
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeService:
    """What the local server answers ((method, path) -> Route) and what it was asked."""

    url: str = ""
    routes: dict[tuple[str, str], Route] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    service: FakeService

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = urlsplit(self.path)
        self.service.seen.append(Seen(self.command, parts.path, parse_qs(parts.query),
                                      {k.lower(): v for k, v in self.headers.items()}, body))
        route = self.service.routes.get((self.command, parts.path), Route(500, b'{"error": "no such route"}'))
        data = route.body if isinstance(route.body, bytes) else (DATA / route.body).read_bytes()
        self.send_response(route.status)
        for name, value in {"Content-Type": "application/json", **route.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx honours proxy variables; loopback requests must not leave through one."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def service() -> Iterator[FakeService]:
    svc = FakeService()
    handler = type("Handler", (_Handler,), {"service": svc})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True  # a provider's kept-alive connection must not hold up the teardown
    svc.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield svc
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


class FakeClock:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def vt(service: FakeService, **kw: object) -> VirusTotalProvider:
    return VirusTotalProvider(KEY, f"{service.url}/api/v3/", **kw)  # type: ignore[arg-type]


# -- VirusTotal ------------------------------------------------------------------------------

def test_vt_malicious_url(service: FakeService) -> None:
    service.routes[("GET", VT_URL_PATH)] = Route(200, "vt-url-malicious.json")
    answer = vt(service).lookup_url(URL)
    assert (answer.service, answer.kind, answer.target, answer.verdict) == ("virustotal", "url", URL, "malicious")
    assert (answer.positives, answer.total, answer.detail) == (12, 90, "12/90 engines flag it")
    assert answer.categories == ("Phishing", "phishing", "phishing and other frauds")
    assert answer.permalink == ("https://www.virustotal.com/gui/url/"
                                "89bb519a4b19dba12bb9305f872c2df79280e922d1d9ca9eb60aaae572245961")
    assert answer.source == f"virustotal:{service.url}/api/v3/" and answer.ttl == 3600
    assert answer.obtained_at.endswith("+00:00")
    [seen] = service.seen
    assert (seen.method, seen.path) == ("GET", VT_URL_PATH)
    assert seen.headers["x-apikey"] == KEY
    assert seen.headers["user-agent"] == f"mailsleuth/{mailsleuth.__version__}"


def test_vt_url_id_is_unpadded_urlsafe_base64() -> None:
    ident = url_id("http://a.example/?q=~~")
    assert "=" not in ident and "+" not in ident and "/" not in ident
    assert base64.urlsafe_b64decode(ident + "=" * (-len(ident) % 4)) == b"http://a.example/?q=~~"


def test_vt_unknown_url_is_404(service: FakeService) -> None:
    service.routes[("GET", VT_URL_PATH)] = Route(404, "vt-not-found.json")
    answer = vt(service).lookup_url(URL)
    assert (answer.verdict, answer.detail, answer.positives, answer.total) == (
        "unknown", "not known to VirusTotal", None, None)
    assert answer.permalink == ""


def test_vt_lookup_asks_url_and_registrable_domain(service: FakeService) -> None:
    service.routes[("GET", VT_URL_PATH)] = Route(200, "vt-url-malicious.json")
    service.routes[("GET", "/api/v3/domains/revapec.cn")] = Route(200, "vt-domain.json")
    url_answer, domain_answer = vt(service).lookup(URL, HOST, DOMAIN)
    assert url_answer.kind == "url"
    assert (domain_answer.kind, domain_answer.target, domain_answer.verdict) == ("domain", DOMAIN, "malicious")
    assert (domain_answer.positives, domain_answer.total) == (5, 91)
    assert domain_answer.detail == "5/91 engines flag it, 1 call it suspicious"
    assert domain_answer.categories == ("newly registered websites", "phishing")
    assert domain_answer.permalink == "https://www.virustotal.com/gui/domain/revapec.cn"
    assert [s.path for s in service.seen] == [VT_URL_PATH, "/api/v3/domains/revapec.cn"]
    assert all(s.headers["x-apikey"] == KEY for s in service.seen)


def test_vt_keeps_the_url_answer_when_the_domain_fails(service: FakeService) -> None:
    service.routes[("GET", VT_URL_PATH)] = Route(200, "vt-url-malicious.json")
    service.routes[("GET", "/api/v3/domains/revapec.cn")] = Route(429, "vt-quota-exceeded.json")
    with pytest.raises(RateLimited) as caught:
        vt(service).lookup(URL, HOST, DOMAIN)
    assert [(a.kind, a.verdict) for a in caught.value.partial] == [("url", "malicious")]
    assert caught.value.retry_after is None  # no Retry-After: the limiter holds off one window


def test_vt_ip_host_has_no_domain_report(service: FakeService) -> None:
    service.routes[("GET", "/api/v3/urls/" + url_id("http://192.0.2.7/a"))] = Route(404, "vt-not-found.json")
    assert [a.kind for a in vt(service).lookup("http://192.0.2.7/a", "192.0.2.7", "")] == ["url"]


def test_vt_verdict_from_stats() -> None:
    assert verdict_from_stats({"malicious": 0, "suspicious": 2, "harmless": 60, "undetected": 28}) == (
        "suspicious", 0, 90)
    assert verdict_from_stats({"malicious": 0, "suspicious": 0, "harmless": 60, "undetected": 30}) == (
        "harmless", 0, 90)
    assert verdict_from_stats({"malicious": 0, "suspicious": 0, "harmless": 0, "undetected": 90}) == (
        "unknown", 0, 90)
    assert verdict_from_stats({}) == ("unknown", 0, 0)


def test_vt_429_raises_rate_limited_and_the_limiter_holds_off(service: FakeService) -> None:
    service.routes[("GET", VT_URL_PATH)] = Route(429, "vt-quota-exceeded.json", {"Retry-After": "30"})
    clock = FakeClock()
    provider = vt(service, rate=RateLimit(4, 60, clock=clock, sleep=clock.sleep), max_wait=5)
    with pytest.raises(RateLimited, match="virustotal: HTTP 429 QuotaExceededError") as caught:
        provider.lookup_url(URL)
    assert caught.value.retry_after == 30
    assert isinstance(caught.value, ReputationError)
    assert provider.rate.wait_time() == 30
    # the next look-up would have to wait 30 s, more than max_wait: refused without asking
    with pytest.raises(RateLimited, match="more than the 5 s allowed"):
        provider.lookup_url(URL)
    assert len(service.seen) == 1
    # with patience, it waits out the Retry-After and asks again
    service.routes[("GET", VT_URL_PATH)] = Route(200, "vt-url-malicious.json")
    provider.max_wait = None
    assert provider.lookup_url(URL).verdict == "malicious"
    assert clock.slept == [30] and len(service.seen) == 2


def test_vt_bad_key_is_an_error_without_the_key(service: FakeService) -> None:
    body = b'{"error": {"code": "WrongCredentialsError", "message": "Wrong API key"}}'
    service.routes[("GET", VT_URL_PATH)] = Route(401, body)
    with pytest.raises(ReputationError, match="virustotal: HTTP 401 WrongCredentialsError: Wrong API key") as caught:
        vt(service).lookup_url(URL)
    assert not isinstance(caught.value, RateLimited)


# -- Safe Browsing -----------------------------------------------------------------------------

def gsb(service: FakeService) -> SafeBrowsingProvider:
    return SafeBrowsingProvider(KEY, f"{service.url}/v4/")


def test_gsb_match(service: FakeService) -> None:
    service.routes[("POST", "/v4/threatMatches:find")] = Route(200, "gsb-match.json")
    [answer] = gsb(service).lookup(URL, HOST, DOMAIN)
    assert (answer.service, answer.kind, answer.target, answer.verdict) == ("safebrowsing", "url", URL, "malicious")
    assert answer.detail == "Safe Browsing: SOCIAL_ENGINEERING"
    assert answer.categories == ("SOCIAL_ENGINEERING",)
    assert answer.ttl == 300  # the match's cacheDuration, shorter than the default hour
    assert answer.permalink.startswith("https://transparencyreport.google.com/safe-browsing/search?url=https%3A%2F%2F")
    [seen] = service.seen
    assert (seen.method, seen.path, seen.query) == ("POST", "/v4/threatMatches:find", {})  # no key in the URL
    assert seen.headers["x-goog-api-key"] == KEY
    assert seen.headers["content-type"] == "application/json"
    assert json.loads(seen.body) == {
        "client": {"clientId": "mailsleuth", "clientVersion": mailsleuth.__version__},
        "threatInfo": {
            "threatTypes": ["MALWARE", "SOCIAL_ENGINEERING", "UNWANTED_SOFTWARE", "POTENTIALLY_HARMFUL_APPLICATION"],
            "platformTypes": ["ANY_PLATFORM"],
            "threatEntryTypes": ["URL"],
            "threatEntries": [{"url": URL}],
        },
    }


def test_gsb_no_match_is_not_listed(service: FakeService) -> None:
    service.routes[("POST", "/v4/threatMatches:find")] = Route(200, "gsb-empty.json")
    [answer] = gsb(service).lookup(URL, HOST, DOMAIN)
    assert (answer.verdict, answer.detail, answer.categories, answer.ttl) == (
        "unknown", "Safe Browsing: not listed", (), 3600)


def test_gsb_error_body(service: FakeService) -> None:
    body = (b'{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",'
            b' "status": "INVALID_ARGUMENT"}}')
    service.routes[("POST", "/v4/threatMatches:find")] = Route(400, body)
    with pytest.raises(ReputationError, match="safebrowsing: HTTP 400 INVALID_ARGUMENT: API key not valid"):
        gsb(service).lookup(URL, HOST, DOMAIN)


# -- urlscan.io --------------------------------------------------------------------------------

def test_urlscan_search(service: FakeService) -> None:
    service.routes[("GET", "/api/v1/search/")] = Route(200, "urlscan-search.json")
    [answer] = UrlscanProvider(KEY, f"{service.url}/api/v1/").lookup(URL, HOST, DOMAIN)
    assert (answer.service, answer.kind, answer.target, answer.verdict) == ("urlscan", "domain", DOMAIN, "malicious")
    # the third result is a page on example.net that only loaded something from the domain
    assert (answer.positives, answer.total) == (1, 2)
    assert answer.detail == "urlscan: 2 scans, verdict malicious (1 of them)"
    assert answer.categories == ("brand:East Japan Railway Company", "phishing")
    assert answer.permalink == "https://urlscan.io/result/0199ff3a-5c21-7bbe-9d4e-2f8a6c1e0b47/"
    [seen] = service.seen
    assert (seen.method, seen.path, seen.query) == ("GET", "/api/v1/search/", {"q": ["domain:revapec.cn"]})
    assert seen.headers["api-key"] == KEY


def test_urlscan_no_scans_and_no_query_injection(service: FakeService) -> None:
    empty = b'{"results": [], "total": 0, "took": 3, "has_more": false}'
    service.routes[("GET", "/api/v1/search/")] = Route(200, empty)
    provider = UrlscanProvider(KEY, f"{service.url}/api/v1/")
    [answer] = provider.lookup("https://new.example.jp/", "new.example.jp", "example.jp")
    assert (answer.verdict, answer.detail, answer.positives, answer.total, answer.permalink) == (
        "unknown", "urlscan: no scans of this domain", 0, 0, "")
    with pytest.raises(ReputationError, match="not a domain name"):
        provider.search_domain("example.jp OR page.domain:*")
    assert len(service.seen) == 1


# -- rate limit, timeout, keys -------------------------------------------------------------------

def test_rate_limit_fifth_call_within_the_window_waits() -> None:
    clock = FakeClock()
    limit = RateLimit(4, 60, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        assert limit.acquire() == 0
        clock.now += 1
    assert limit.wait_time() == 56  # the first call was 4 s ago
    assert limit.acquire() == 56
    assert clock.slept == [56]
    with pytest.raises(RateLimited) as caught:
        limit.acquire(max_wait=0.5)
    assert caught.value.retry_after == 1  # the second call leaves the window 1 s from now
    clock.now += 100
    assert limit.acquire(max_wait=0) == 0


def test_rate_limit_is_thread_safe() -> None:
    clock = FakeClock()
    lock = threading.Lock()
    limit = RateLimit(5, 60, clock=clock, sleep=lambda s: None)  # never waits: over-counting would show
    granted: list[int] = []

    def take() -> None:
        try:
            limit.acquire(max_wait=0)
        except RateLimited:
            return
        with lock:
            granted.append(1)

    threads = [threading.Thread(target=take) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 5


def test_retry_after_forms() -> None:
    assert retry_after({"retry-after": "17"}) == 17
    assert retry_after({"x-rate-limit-reset-after": "9"}) == 9  # urlscan.io's header
    from datetime import UTC, datetime
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:30 GMT"},
                       now=datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)) == 30
    assert retry_after({}) is None


def test_timeout_against_a_server_that_never_answers() -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        base = f"http://127.0.0.1:{silent.getsockname()[1]}/api/v3/"
        provider = VirusTotalProvider(KEY, base, timeout=0.5)
        started = time.monotonic()
        with pytest.raises(ReputationError, match=r"virustotal: no answer from .* within 0\.5 s") as caught:
            provider.lookup_url(URL)
        elapsed = time.monotonic() - started
        provider.close()
    assert 0.4 < elapsed < 3, elapsed
    assert KEY not in str(caught.value)


def test_the_key_never_shows(service: FakeService, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    service.routes[("GET", VT_URL_PATH)] = Route(200, "vt-url-malicious.json")
    service.routes[("GET", "/api/v3/domains/revapec.cn")] = Route(429, "vt-quota-exceeded.json")
    service.routes[("POST", "/v4/threatMatches:find")] = Route(200, "gsb-match.json")
    service.routes[("GET", "/api/v1/search/")] = Route(
        400, b'{"message": "Invalid API key format", "description": "sent: ' + KEY.encode() + b'", "status": 400}')
    providers = [vt(service), gsb(service), UrlscanProvider(KEY, f"{service.url}/api/v1/")]
    shown: list[str] = [repr(p) for p in providers]
    for provider in providers:
        try:
            answers = provider.lookup(URL, HOST, DOMAIN)
        except ReputationError as exc:
            shown += [str(exc), repr(exc)] + [json.dumps(a.to_dict()) + a.source for a in exc.partial]
        else:
            shown += [json.dumps(a.to_dict()) + a.source for a in answers]
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: connection refused
    with pytest.raises(ReputationError) as refused:
        SafeBrowsingProvider(KEY, f"http://127.0.0.1:{port}/v4/").lookup(URL, HOST, DOMAIN)
    shown += [str(refused.value), caplog.text]
    assert len(shown) == 3 + 3 + 1 + 2 + 1 + 1  # reprs; VT 429 + the URL answer before it; GSB; urlscan; refused; log
    assert any("HTTP 429" in s for s in shown) and any("Invalid API key format" in s for s in shown)
    assert "HTTP Request" in caplog.text  # httpx did log the requests...
    assert all(KEY not in s for s in shown)  # ...and the key is nowhere


def test_without_httpx_a_lookup_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)  # as if the package were not installed
    with pytest.raises(ProviderUnavailable, match="httpx package is not installed"):
        VirusTotalProvider(KEY, "http://127.0.0.1:9/api/v3/").lookup_url(URL)


# -- configuration and answers -----------------------------------------------------------------

def test_providers_from_env() -> None:
    assert providers_from_env({}) == []
    assert providers_from_env({"MAILSLEUTH_VT_API_KEY": "  ", "MAILSLEUTH_GSB_URL": "http://127.0.0.1:9/"}) == []
    [only] = providers_from_env({"VT_API_KEY": KEY}, timeout=2)
    assert isinstance(only, VirusTotalProvider)
    assert (only.base_url, only.timeout, only.source) == (
        "https://www.virustotal.com/api/v3/", 2, "virustotal:https://www.virustotal.com/api/v3/")
    everything = providers_from_env({
        "MAILSLEUTH_VT_API_KEY": KEY, "VT_API_KEY": "other", "MAILSLEUTH_URLSCAN_API_KEY": KEY,
        "MAILSLEUTH_GSB_API_KEY": KEY, "MAILSLEUTH_VT_URL": "http://127.0.0.1:1/vt",
        "MAILSLEUTH_URLSCAN_URL": "http://127.0.0.1:1/us/", "MAILSLEUTH_GSB_URL": "http://127.0.0.1:1/gsb/"})
    assert [type(p).__name__ for p in everything] == ["VirusTotalProvider", "UrlscanProvider", "SafeBrowsingProvider"]
    assert [p.base_url for p in everything] == [  # type: ignore[attr-defined]
        "http://127.0.0.1:1/vt/", "http://127.0.0.1:1/us/", "http://127.0.0.1:1/gsb/"]
    assert all(KEY not in repr(p) for p in everything)


def test_providers_from_env_ask_the_configured_server(service: FakeService) -> None:
    service.routes[("POST", "/v4/threatMatches:find")] = Route(200, "gsb-empty.json")
    [provider] = providers_from_env({"MAILSLEUTH_GSB_API_KEY": KEY, "MAILSLEUTH_GSB_URL": f"{service.url}/v4/"})
    [answer] = provider.lookup("", HOST, DOMAIN)  # no URL: the host is asked as http://host/
    assert answer.target == f"http://{HOST}/"
    assert service.seen[0].headers["x-goog-api-key"] == KEY


def test_answer_round_trip(service: FakeService) -> None:
    service.routes[("GET", VT_URL_PATH)] = Route(200, "vt-url-malicious.json")
    service.routes[("GET", "/api/v3/domains/revapec.cn")] = Route(404, "vt-not-found.json")
    answers = vt(service).lookup(URL, HOST, DOMAIN)
    assert len(answers) == 2
    for answer in answers:
        assert ReputationAnswer.from_dict(answer.to_dict()) == answer
        assert ReputationAnswer.from_dict(json.loads(json.dumps(answer.to_dict()))) == answer
    again = ReputationAnswer.from_dict(answers[0].to_dict())
    assert isinstance(again.categories, tuple)
    no_ttl = ReputationAnswer("urlscan", DOMAIN, "domain", "unknown", "urlscan: no scans of this domain", 0, 0, (),
                              "", "urlscan:https://urlscan.io/api/v1/", "2025-10-20T06:40:12+00:00", None)
    assert ReputationAnswer.from_dict(no_ttl.to_dict()) == no_ttl
    with pytest.raises(ValueError, match="not a reputation answer"):
        ReputationAnswer.from_dict({**no_ttl.to_dict(), "verdict": "evil"})


# -- in the analysis ---------------------------------------------------------------------------

def _mail(url: str) -> bytes:
    return ("From: えきねっと <info@faxohbr.cn>\nTo: you@example.jp\nSubject: 会員登録のお願い\n"
            "Date: Fri, 25 Mar 2022 13:07:34 +0800\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"
            f"会員登録はこちら {url}\n").encode()


def test_reputation_in_the_analysis(service: FakeService) -> None:
    """A VirusTotal verdict becomes a finding (and an answer in the report's "online" part); a
    service that does not know the link says nothing against it."""
    import mailsleuth
    from mailsleuth.enrich.online import OnlineLookups

    service.routes[("GET", VT_URL_PATH)] = Route(200, "vt-url-malicious.json")
    service.routes[("GET", "/api/v3/domains/revapec.cn")] = Route(200, "vt-domain.json")
    report = mailsleuth.analyze(_mail(f"https://{HOST}/login"), lookups=OnlineLookups(reputation=[vt(service)]))
    found = {f.id: f for f in report.findings}
    assert "REPUTATION_LISTED" in found and "virustotal" in found["REPUTATION_LISTED"].explanation["en"].lower()
    answers = report.to_dict()["online"]["reputation"]
    assert answers[0]["verdict"] == "malicious" and KEY not in json.dumps(answers)
    service.routes[("GET", VT_URL_PATH)] = Route(404, "vt-not-found.json")
    service.routes[("GET", "/api/v3/domains/revapec.cn")] = Route(404, "vt-not-found.json")
    quiet = mailsleuth.analyze(_mail(f"https://{HOST}/login"), lookups=OnlineLookups(reputation=[vt(service)]))
    assert "REPUTATION_LISTED" not in {f.id for f in quiet.findings}
