"""The FastAPI application: the page at ``/`` and the REST API under ``/api/v1``."""

from __future__ import annotations

import hmac
import json
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..analyze import analyze
from ..article import defang, from_report, read_body, render_html, render_markdown
from ..article.body import BodyLink
from ..article.html import csp as article_csp
from ..bundle import Bundle, make_bundle, replay
from ..enrich import default_enricher
from ..enrich.journal import Entry, Journal
from ..report import Report
from .settings import WebSettings
from .store import Store, Stored

API = "/api/v1"
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'")
TOKEN_COOKIE = "mailsleuth_token"
MULTIPART_SLACK = 64 * 1024  # boundaries and part headers around the file in a multipart upload
RAW_TYPES = ("message/rfc822", "application/octet-stream", "text/plain")
FORMATS = ("json", "html", "md", "stix", "misp")
MEDIA = {"json": "application/json", "html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8",
         "stix": "application/stix+json; charset=utf-8", "misp": "application/json"}
SUFFIX = {"json": "json", "html": "html", "md": "md", "stix": "stix.json", "misp": "misp.json"}

Lang = Literal["ja", "en"]
Format = Literal["json", "html", "md", "stix", "misp"]


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    intel: bool
    auth: bool
    max_upload: int


class HistoryItem(BaseModel):
    id: str
    created: str
    verdict: str
    score: float
    brand: str | None
    brand_en: str | None
    subject: str


class History(BaseModel):
    total: int
    items: list[HistoryItem]


class Deleted(BaseModel):
    deleted: int


class DisplayLink(BaseModel):
    url: str
    host: str
    registrable_domain: str
    text: str
    source: str


class Display(BaseModel):
    """What the page shows that the JSON contract does not hold safely: defanged links, the body as text."""

    body_source: str
    body_text: str
    body_truncated: bool
    attachments: list[str]
    links: list[DisplayLink]


class TooLarge(Exception):
    pass


def _intel_available() -> bool:
    try:
        import pymisp  # noqa: F401
        import stix2  # noqa: F401
    except ImportError:
        return False
    return True


def _lang_from(accept: str | None) -> Lang:
    """The first of ja / en the browser prefers (by q), English when it names neither."""
    best: tuple[float, int, Lang] | None = None
    for pos, part in enumerate((accept or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            k, _, v = p.strip().partition("=")
            if k == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        tag = tag.strip().lower()
        lang: Lang | None = "ja" if tag.startswith("ja") else "en" if tag.startswith("en") else None
        if lang and q > 0 and (best is None or (q, -pos) > (best[0], best[1])):
            best = (q, -pos, lang)
    return best[2] if best else "en"


class SecurityHeaders:
    """Headers on every response: a strict CSP for the page (endpoints may set their own), no sniffing,
    no referrer, no framing except where an endpoint allows it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = {b"content-security-policy": PAGE_CSP.encode(), b"x-content-type-options": b"nosniff",
                         b"referrer-policy": b"no-referrer", b"x-frame-options": b"DENY",
                         b"cross-origin-opener-policy": b"same-origin", b"cache-control": b"no-store"}
                headers += [(k, v) for k, v in extra.items() if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, wrapped)


def _history_item(s: Stored) -> HistoryItem:
    return HistoryItem(id=s.id, created=s.created.isoformat(timespec="seconds"), verdict=s.verdict, score=s.score,
                       brand=s.brand, brand_en=s.brand_en, subject=s.subject)


def _analyse(data: bytes) -> tuple[Report, dict[str, Any]]:
    """The report, and the answers its analysis got (stored with it, to re-render it the same way later)."""
    enricher = default_enricher()
    journal = Journal()
    report = analyze(data, enricher=enricher, journal=journal)
    bundle = make_bundle(data, report, journal, enricher, None)
    return report, {"analysed_at": bundle.analysed_at, "options": bundle.options,
                    "answers": [e.to_dict() for e in bundle.answers]}


def _stored_report(found: Stored) -> Report:
    """The Report object of a stored row: its recorded answers replayed (nothing is looked up again, so a
    feed update since does not change what was stored), or, for rows stored without them, analysed again."""
    if found.answers is None:
        return _analyse(found.raw)[0]
    rec = found.answers
    bundle = Bundle(message=found.raw, analysed_at=str(rec["analysed_at"]),
                    answers=[Entry.from_dict(e) for e in rec["answers"]], report=found.report,
                    options=dict(rec.get("options") or {}))
    return replay(bundle)


def _render(report: Report, fmt: str, lang: str, raw: bytes) -> str:
    if fmt in ("stix", "misp"):
        from ..intel import render_intel

        return render_intel(report, fmt, raw)
    if fmt == "html":
        return render_html(report, lang, mail=raw, enrichment=from_report(report))
    return render_markdown(report, lang, mail=raw, map_png_name=None, enrichment=from_report(report))


def _split_formats(value: str) -> list[str]:
    wanted = [f.strip().lower() for f in value.split(",") if f.strip()]
    bad = [f for f in wanted if f not in FORMATS]
    if bad:
        raise HTTPException(422, f"unknown format(s): {', '.join(sorted(set(bad)))[:200]}; known: {', '.join(FORMATS)}")
    return list(dict.fromkeys(wanted))


_ANALYZE_BODY: dict[str, Any] = {
    "required": True,
    "description": "The raw message (.eml source) as the body, or a multipart upload with the field `file` "
                   "(options `lang` and `formats` may be form fields too).",
    "content": {
        "message/rfc822": {"schema": {"type": "string", "format": "binary"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"},
                           "lang": {"type": "string", "enum": ["ja", "en"]},
                           "formats": {"type": "string"}}}},
    },
}
_ANALYZE_OK = ("The report (see report.schema.json) plus `id`, `created`, `format_urls` (where each format is) "
               "and `rendered` (the formats asked for in `formats`)")
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "A token is configured and the request did not carry it"},
}


def create_app(settings: WebSettings | None = None) -> FastAPI:
    settings = settings or WebSettings()
    store = Store(settings.db_url)
    intel = _intel_available()
    static = resources.files("mailsleuth.web") / "static"
    index_html = (static / "index.html").read_text(encoding="utf-8")

    app = FastAPI(title="mailsleuth", version=__version__, docs_url=None, redoc_url=None, openapi_url="/openapi.json",
                  description="Analyse a suspicious mail and explain whether it is phishing (Japanese and English). "
                              "When the server has a token, every /api/v1 call but /health needs "
                              "`Authorization: Bearer <token>`.")
    app.state.store = store
    app.add_middleware(SecurityHeaders)

    def require_token(request: Request) -> None:
        if not settings.token:
            return
        auth = request.headers.get("authorization", "")
        given = auth[7:].strip() if auth[:7].lower() == "bearer " else request.cookies.get(TOKEN_COOKIE, "")
        if not given or not hmac.compare_digest(given.encode(), settings.token.encode()):
            raise HTTPException(401, "a valid token is needed: send 'Authorization: Bearer <token>'",
                                headers={"WWW-Authenticate": "Bearer"})

    Auth = Depends(require_token)

    def get_or_404(report_id: str) -> Stored:
        found = store.get(report_id) if len(report_id) <= 64 else None
        if found is None:
            raise HTTPException(404, "no such report")
        return found

    async def read_limited(request: Request, limit: int) -> bytes:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise TooLarge
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    def too_large() -> HTTPException:
        mb = settings.max_upload / (1024 * 1024)
        return HTTPException(413, f"the message is larger than this server accepts ({settings.max_upload} bytes, "
                                  f"{mb:.1f} MB)")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page(request: Request, lang: Lang | None = None) -> HTMLResponse:
        chosen = lang or _lang_from(request.headers.get("accept-language"))
        return HTMLResponse(index_html.replace("{{lang}}", chosen), headers={"Vary": "Accept-Language"})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get(f"{API}/health", response_model=Health, tags=["service"])
    def health() -> Health:
        return Health(status="ok", version=__version__, intel=intel, auth=bool(settings.token),
                      max_upload=settings.max_upload)

    @app.post(f"{API}/analyze", tags=["reports"], dependencies=[Auth], openapi_extra={"requestBody": _ANALYZE_BODY},
              responses={**_ERRORS, 200: {"description": _ANALYZE_OK},
                         413: {"description": "The upload is larger than the server accepts"},
                         415: {"description": "Unsupported Content-Type"},
                         422: {"description": "No message, or a bad option"},
                         501: {"description": "STIX/MISP asked for but the 'intel' extra is not installed"}})
    async def analyze_endpoint(request: Request, lang: Lang = "ja",
                               formats: Annotated[str, Query(max_length=100)] = "") -> JSONResponse:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "multipart/form-data":
            try:
                body = await read_limited(request, settings.max_upload + MULTIPART_SLACK)
            except TooLarge:
                raise too_large() from None
            request._body = body  # form() parses what was read (and measured) above
            try:
                form = await request.form(max_files=1, max_fields=10)
            except Exception as exc:  # malformed multipart
                raise HTTPException(422, "cannot read the multipart upload") from exc
            upload = form.get("file")
            if isinstance(upload, UploadFile):
                data = await upload.read()
            elif isinstance(upload, str):
                data = upload.encode("utf-8")
            else:
                raise HTTPException(422, "the multipart upload has no field 'file'")
            if len(data) > settings.max_upload:
                raise too_large()
            flang, fformats = form.get("lang"), form.get("formats")
            if isinstance(flang, str) and flang:
                if flang not in ("ja", "en"):
                    raise HTTPException(422, "lang must be ja or en")
                lang = "ja" if flang == "ja" else "en"
            if isinstance(fformats, str) and fformats:
                formats = fformats[:100]
        elif ctype in RAW_TYPES or ctype == "":
            try:
                data = await read_limited(request, settings.max_upload)
            except TooLarge:
                raise too_large() from None
        else:
            raise HTTPException(415, "send the message as message/rfc822 or application/octet-stream, "
                                     "or upload it as multipart/form-data in the field 'file'")
        if not data.strip():
            raise HTTPException(422, "the message is empty")
        wanted = _split_formats(formats)
        if {"stix", "misp"} & set(wanted) and not intel:
            raise HTTPException(501, "STIX and MISP need the 'intel' extra: pip install 'mailsleuth[intel]'")
        report, answers = await run_in_threadpool(_analyse, data)
        doc = report.to_dict()
        stored = await run_in_threadpool(store.add, doc, data, answers)
        rendered = {}
        for fmt in wanted:
            if fmt != "json":
                rendered[fmt] = await run_in_threadpool(_render, report, fmt, lang, data)
        urls = {f: f"{API}/reports/{stored.id}?format={f}&lang={lang}" for f in FORMATS
                if intel or f not in ("stix", "misp")}
        return JSONResponse({"id": stored.id, "created": stored.created.isoformat(timespec="seconds"), **doc,
                             "format_urls": urls, "rendered": rendered})

    @app.get(f"{API}/reports", response_model=History, tags=["reports"], dependencies=[Auth], responses=_ERRORS)
    def list_reports(limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                     offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> History:
        total, rows = store.list(limit, offset)
        return History(total=total, items=[_history_item(r) for r in rows])

    @app.delete(f"{API}/reports", response_model=Deleted, tags=["reports"], dependencies=[Auth], responses=_ERRORS)
    def clear_reports() -> Deleted:
        return Deleted(deleted=store.clear())

    @app.get(f"{API}/reports/{{report_id}}", tags=["reports"], dependencies=[Auth],
             responses={**_ERRORS, 200: {"description": "The report in the format asked for",
                                         "content": {m.split(";")[0]: {} for m in MEDIA.values()}},
                        404: {"description": "No such report"},
                        501: {"description": "STIX/MISP asked for but the 'intel' extra is not installed"}})
    def get_report(report_id: str, format: Format = "json", lang: Lang = "ja", download: bool = False) -> Response:
        found = get_or_404(report_id)
        headers: dict[str, str] = {}
        if download:
            headers["Content-Disposition"] = f'attachment; filename="mailsleuth-{found.id}.{SUFFIX[format]}"'
        if format == "json":
            body = json.dumps({"id": found.id, "created": found.created.isoformat(timespec="seconds"),
                               **found.report}, ensure_ascii=False)
            return Response(body, media_type=MEDIA["json"], headers=headers)
        if format in ("stix", "misp") and not intel:
            raise HTTPException(501, "STIX and MISP need the 'intel' extra: pip install 'mailsleuth[intel]'")
        report = _stored_report(found)
        text = _render(report, format, lang, found.raw)
        if format == "html":  # shown in the page's sandboxed frame: its own policy, framing by this origin only
            headers["Content-Security-Policy"] = f"{article_csp()}; frame-ancestors 'self'; sandbox"
            headers["X-Frame-Options"] = "SAMEORIGIN"
        return Response(text, media_type=MEDIA[format], headers=headers)

    @app.get(f"{API}/reports/{{report_id}}/display", response_model=Display, tags=["reports"], dependencies=[Auth],
             responses={**_ERRORS, 404: {"description": "No such report"}})
    def display(report_id: str) -> Display:
        found = get_or_404(report_id)
        body = read_body(found.raw)
        text = "".join(p if isinstance(p, str) else _link_text(p) for p in body.pieces)
        links = [DisplayLink(url=defang(str(lk.get("url") or "")), host=defang(str(lk.get("host") or "")),
                             registrable_domain=defang(str(lk.get("registrable_domain") or "")),
                             text=str(lk.get("text") or ""), source=str(lk.get("source") or ""))
                 for lk in found.report.get("links") or []]
        return Display(body_source=body.source, body_text=text, body_truncated=body.truncated,
                       attachments=list(body.attachments), links=links)

    @app.get(f"{API}/reports/{{report_id}}/source", tags=["reports"], dependencies=[Auth],
             responses={**_ERRORS, 200: {"content": {"text/plain": {}}, "description": "The stored raw message"},
                        404: {"description": "No such report"}})
    def source(report_id: str, download: bool = False) -> Response:
        found = get_or_404(report_id)
        headers = {"Content-Disposition": f'attachment; filename="mailsleuth-{found.id}.eml"'} if download else {}
        return Response(found.raw, media_type="text/plain; charset=utf-8", headers=headers)

    @app.delete(f"{API}/reports/{{report_id}}", response_model=Deleted, tags=["reports"], dependencies=[Auth],
                responses={**_ERRORS, 404: {"description": "No such report"}})
    def delete_report(report_id: str) -> Deleted:
        if len(report_id) > 64 or not store.delete(report_id):
            raise HTTPException(404, "no such report")
        return Deleted(deleted=1)

    return app


def _link_text(link: BodyLink) -> str:
    target = defang(link.url)
    return f"{link.text} [{target}]" if link.text and link.text.strip() else f"[{target}]"


def app_from_env() -> FastAPI:
    """The app for uvicorn's worker processes (``serve(workers=N)``): settings from the environment."""
    return create_app(WebSettings.from_env())
