"""The portal's web application: its routes, the headers every answer carries, and the pages
shown for errors (in Chinese; never a traceback, never another organisation's data)."""
from __future__ import annotations

import logging
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from libs.client.client import ClientError
from services.portal.gateway import Gateway, is_signed_out
from services.portal.metrics import PAGE_SECONDS, PAGES_SERVED
from services.portal.pages import account, imports, office, packs, progress, records, report
from services.portal.settings import PortalSettings
from services.portal.web import PageError, SignInNeeded, page_for, render, sign_in_redirect

log = logging.getLogger("kepu.portal")

# what a page may load: only this site's own files; no inline script, no frames
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),  # a set-up link's code must not leak to another site
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every answer and counts and times each page by its route."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), [500]

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            page = getattr(scope.get("endpoint"), "__name__", None) or "unknown"
            PAGES_SERVED.labels(page, str(status[0])).inc()
            PAGE_SECONDS.labels(page).observe(time.perf_counter() - started)


async def _sign_in_needed(request: Request, exc: SignInNeeded):
    return sign_in_redirect(exc)


async def _page_error(request: Request, exc: PageError):
    return render(request, "error.html", {"title": exc.title, "message": exc.message}, status=exc.status)


async def _gateway_error(request: Request, exc: ClientError):
    if is_signed_out(exc):
        return sign_in_redirect(SignInNeeded(request.url.path, "expired"))
    page = page_for(exc)
    log.warning("gateway answered %s to %s %s: %s; the person saw %r", exc.code.name, request.method,
                request.url.path, exc.message, page.title)
    return await _page_error(request, page)


async def _http_error(request: Request, exc: HTTPException):
    titles = {404: ("找不到这个页面", "地址可能有误，请从首页进入。"), 405: ("不支持的操作", "请从页面上的按钮操作。")}
    title, message = titles.get(exc.status_code, ("请求有误", "请返回上一页重试。"))
    return render(request, "error.html", {"title": title, "message": message}, status=exc.status_code)


async def _unexpected(request: Request, exc: Exception):
    log.exception("portal page %s %s failed; the person saw a 500 page", request.method, request.url.path)
    return render(request, "error.html", {"title": "出错了", "message": "系统处理时出错，请稍后再试；如持续出现，请联系县科协。"},
                  status=500)


async def health(request: Request):
    """Liveness and readiness: the portal answers, and the gateway behind it says SERVING."""
    gateway: Gateway = request.app.state.gateway
    try:
        stub = health_pb2_grpc.HealthStub(gateway.client.channel)
        status = stub.Check(health_pb2.HealthCheckRequest(), timeout=2).status
        ready = status == health_pb2.HealthCheckResponse.SERVING
    except grpc.RpcError:
        ready = False
    return JSONResponse({"portal": "ok", "gateway": "SERVING" if ready else "unreachable"},
                        status_code=200 if ready else 503)


def routes() -> list:
    return [
        Route("/", progress.progress_page, name="progress"),
        Route("/login", account.sign_in_page, name="login"),
        Route("/login", account.sign_in, methods=["POST"], name="login_post"),
        Route("/logout", account.sign_out, methods=["POST"], name="logout"),
        Route("/setup/{code}", account.setup_page, name="setup"),
        Route("/setup/{code}", account.setup, methods=["POST"], name="setup_post"),
        Route("/report", report.report_page, name="report"),
        Route("/report", report.report, methods=["POST"], name="report_post"),
        Route("/report/done/{activity_id}", report.done_page, name="report_done"),
        Route("/records", records.records_page, name="records"),
        Route("/records/{activity_id}", records.record_page, name="record"),
        Route("/records/{activity_id}/correct", records.correct_page, name="correct"),
        Route("/records/{activity_id}/correct", records.correct, methods=["POST"], name="correct_post"),
        Route("/records/{activity_id}/retract", records.retract, methods=["POST"], name="retract"),
        Route("/import", imports.import_page, name="import"),
        Route("/import", imports.upload, methods=["POST"], name="import_post"),
        Route("/import/template.xlsx", imports.template, name="import_template"),
        Route("/import/{job_id}", imports.job_page, name="import_job"),
        Route("/import/{job_id}/confirm", imports.confirm, methods=["POST"], name="import_confirm"),
        Route("/periods/submit", progress.submit, methods=["POST"], name="period_submit"),
        Route("/office", office.office_page, name="office"),
        Route("/office/periods/approve", office.approve, methods=["POST"], name="period_approve"),
        Route("/office/periods/reopen", office.reopen, methods=["POST"], name="period_reopen"),
        Route("/office/packs/{quarter}", packs.pack_page, name="pack"),
        Route("/office/packs/{quarter}/{fmt}", packs.pack_file, name="pack_file"),
        Route("/healthz", health, name="health"),
        Mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"),
    ]


def create_app(gateway: Gateway, portal: PortalSettings, public_url: str) -> Starlette:
    app = Starlette(routes=routes(), exception_handlers={
        SignInNeeded: _sign_in_needed, PageError: _page_error, ClientError: _gateway_error,
        HTTPException: _http_error, Exception: _unexpected,
    })
    app.state.gateway, app.state.portal, app.state.public_url = gateway, portal, public_url
    app.state.imports = imports.ImportJobs(portal.portal_import_keep_minutes * 60)
    return SecurityHeaders(app)
