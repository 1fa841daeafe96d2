"""The REST API against a running server (uvicorn in a child process on a free loopback port)."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the 'web' extra is not installed (pip install 'mailsleuth[web]')")

import httpx

from mailsleuth.web import UnsafeBind, WebSettings, check_bind, create_app
from mailsleuth.web.openapi import text as openapi_text
from mailsleuth.web.server import serve
from mailsleuth.web.testing import running_server

ROOT = Path(__file__).resolve().parents[1]
SEED = (ROOT / "examples" / "ekinet-account-deleted.eml").read_bytes()
CLEAN = (ROOT / "examples" / "colleague-clean.eml").read_bytes()
TOKEN = "s3cret-token-for-tests"
MAX = 200_000
INTEL = importlib.util.find_spec("stix2") is not None and importlib.util.find_spec("pymisp") is not None
RFC822 = {"Content-Type": "message/rfc822"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("web") / "web.sqlite"
    with running_server(f"sqlite:///{db}", max_upload=MAX) as url:
        yield url


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("webt") / "web.sqlite"
    with running_server(f"sqlite:///{db}", token=TOKEN) as url:
        yield url


@pytest.fixture()
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, trust_env=False, timeout=60) as c:
        yield c


def test_health_and_headers(client: httpx.Client) -> None:
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["auth"] is False and r.json()["max_upload"] == MAX
    page = client.get("/", headers={"Accept-Language": "ja,en;q=0.5"})
    assert page.status_code == 200 and '<html lang="ja">' in page.text
    assert client.get("/", headers={"Accept-Language": "en-GB,ja;q=0.3"}).text.count('<html lang="en">') == 1
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp and "object-src 'none'" in csp
    assert "<script>" not in page.text and "http" not in page.text.replace('http-equiv', '')  # no inline script, no CDN
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/docs").status_code == 404  # FastAPI's Swagger page would load a CDN
    assert client.get("/openapi.json").json()["info"]["title"] == "mailsleuth"


def test_analyze_seed_raw_body(client: httpx.Client) -> None:
    r = client.post("/api/v1/analyze", content=SEED, headers=RFC822)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["verdict"] == "phishing"
    assert doc["brand"]["name"] == "えきねっと"
    assert len(doc["id"]) == 32 and doc["schema_version"]
    again = client.get(f"/api/v1/reports/{doc['id']}")
    assert again.status_code == 200 and again.json()["verdict"] == "phishing"
    assert again.json()["findings"] == doc["findings"]


def test_analyze_matches_schema(client: httpx.Client) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "src" / "mailsleuth" / "schema" / "report.schema.json").read_text())
    doc = client.post("/api/v1/analyze", content=SEED, headers={"Content-Type": "application/octet-stream"}).json()
    contract = {k: v for k, v in doc.items() if k not in ("id", "created", "format_urls", "rendered")}
    jsonschema.validate(contract, schema)


def test_analyze_multipart_with_options(client: httpx.Client) -> None:
    r = client.post("/api/v1/analyze", files={"file": ("mail.eml", SEED, "message/rfc822")},
                    data={"lang": "en", "formats": "md,html"})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["verdict"] == "phishing"
    assert set(doc["rendered"]) == {"md", "html"}
    assert "Warning" in doc["rendered"]["md"] or "phishing" in doc["rendered"]["md"]
    assert client.post("/api/v1/analyze", files={"other": ("m.eml", SEED)}).status_code == 422
    assert client.post("/api/v1/analyze?formats=pdf", content=SEED, headers=RFC822).status_code == 422
    assert client.post("/api/v1/analyze?lang=fr", content=SEED, headers=RFC822).status_code == 422
    assert client.post("/api/v1/analyze", content=b"  ", headers=RFC822).status_code == 422
    assert client.post("/api/v1/analyze", content=SEED, headers={"Content-Type": "image/png"}).status_code == 415


def test_too_large_is_413(client: httpx.Client) -> None:
    big = SEED + b"\n" + b"A" * (MAX + 10)
    r = client.post("/api/v1/analyze", content=big, headers=RFC822)
    assert r.status_code == 413 and "larger than" in r.json()["detail"]
    r = client.post("/api/v1/analyze", files={"file": ("big.eml", big)})
    assert r.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds on the stream too
        for i in range(0, len(big), 65536):
            yield big[i:i + 65536]

    r = client.post("/api/v1/analyze", content=chunks(), headers=RFC822)
    assert r.status_code == 413


def test_report_formats(client: httpx.Client) -> None:
    rid = client.post("/api/v1/analyze", content=SEED, headers=RFC822).json()["id"]
    html = client.get(f"/api/v1/reports/{rid}", params={"format": "html", "lang": "ja"})
    assert html.status_code == 200 and "えきねっと" in html.text and "<script" not in html.text
    assert "sandbox" in html.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in html.headers["content-security-policy"]
    md = client.get(f"/api/v1/reports/{rid}", params={"format": "md", "lang": "en", "download": "1"})
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert "attachment" in md.headers["content-disposition"]
    assert "hxxps://" in md.text and "https://www.eki-net" not in md.text
    for fmt in ("stix", "misp"):
        r = client.get(f"/api/v1/reports/{rid}", params={"format": fmt})
        if INTEL:
            assert r.status_code == 200 and json.loads(r.text)
        else:
            assert r.status_code == 501 and "intel" in r.json()["detail"]
    assert client.get(f"/api/v1/reports/{rid}", params={"format": "pdf"}).status_code == 422
    disp = client.get(f"/api/v1/reports/{rid}/display").json()
    assert disp["links"] and all("[.]" in lk["url"] for lk in disp["links"])
    assert client.get(f"/api/v1/reports/{rid}/source").content == SEED


def test_history_list_and_delete(client: httpx.Client) -> None:
    a = client.post("/api/v1/analyze", content=SEED, headers=RFC822).json()["id"]
    b = client.post("/api/v1/analyze", content=CLEAN, headers=RFC822).json()["id"]
    items = client.get("/api/v1/reports").json()["items"]
    ids = [i["id"] for i in items]
    assert a in ids and b in ids
    row = next(i for i in items if i["id"] == a)
    assert row["verdict"] == "phishing" and row["brand"] == "えきねっと" and row["subject"] and row["created"]
    assert client.delete(f"/api/v1/reports/{a}").json() == {"deleted": 1}
    assert client.get(f"/api/v1/reports/{a}").status_code == 404
    assert client.delete(f"/api/v1/reports/{a}").status_code == 404
    assert client.delete("/api/v1/reports").json()["deleted"] >= 1
    assert client.get("/api/v1/reports").json() == {"total": 0, "items": []}
    assert client.get(f"/api/v1/reports/{b}").status_code == 404


def test_token_is_enforced(token_server: str) -> None:
    with httpx.Client(base_url=token_server, trust_env=False, timeout=60) as c:
        assert c.get("/api/v1/health").json()["auth"] is True
        for bad in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            r = c.post("/api/v1/analyze", content=SEED, headers={**RFC822, **bad})
            assert r.status_code == 401
            assert TOKEN not in r.text and "wrong" not in r.text
            assert c.get("/api/v1/reports", headers=bad).status_code == 401
        good = {"Authorization": f"Bearer {TOKEN}"}
        r = c.post("/api/v1/analyze", content=SEED, headers={**RFC822, **good})
        assert r.status_code == 200 and TOKEN not in r.text
        rid = r.json()["id"]
        assert c.get(f"/api/v1/reports/{rid}", headers=good).status_code == 200
        assert c.get(f"/api/v1/reports/{rid}", headers={"Cookie": f"mailsleuth_token={TOKEN}"}).status_code == 200
        assert c.get(f"/api/v1/reports/{rid}").status_code == 401
        assert c.delete("/api/v1/reports", headers=good).status_code == 200


def test_non_loopback_needs_token() -> None:
    check_bind("127.0.0.1", None)
    check_bind("::1", None)
    check_bind("localhost", None)
    check_bind("0.0.0.0", "t")
    with pytest.raises(UnsafeBind, match="token"):
        check_bind("0.0.0.0", None)
    with pytest.raises(UnsafeBind):
        serve(host="192.0.2.1", port=1, token=None)
    assert TOKEN not in repr(WebSettings(db_url="sqlite://", token=TOKEN))


def test_openapi_file_is_current() -> None:
    path = ROOT / "docs" / "openapi.json"
    assert path.read_text(encoding="utf-8") == openapi_text(), "run: python -m mailsleuth.web.openapi"
    paths = create_app(WebSettings(db_url="sqlite://")).openapi()["paths"]
    assert {"/api/v1/analyze", "/api/v1/reports", "/api/v1/reports/{report_id}", "/api/v1/health"} <= set(paths)


def test_intel_missing_is_501(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    import mailsleuth.web.app as web_app

    monkeypatch.setattr(web_app, "_intel_available", lambda: False)
    with TestClient(web_app.create_app(WebSettings(db_url="sqlite://"))) as c:
        assert c.get("/api/v1/health").json()["intel"] is False
        r = c.post("/api/v1/analyze", content=SEED, headers=RFC822)
        assert r.status_code == 200 and "stix" not in r.json()["format_urls"]
        for fmt in ("stix", "misp"):
            got = c.get(f"/api/v1/reports/{r.json()['id']}", params={"format": fmt})
            assert got.status_code == 501 and "pip install 'mailsleuth[intel]'" in got.json()["detail"]
        assert c.post("/api/v1/analyze?formats=stix", content=SEED, headers=RFC822).status_code == 501
