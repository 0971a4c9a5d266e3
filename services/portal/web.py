"""What every page shares: who is signed in, the CSRF token of a form, rendering, and the
errors a person may meet, each as a page in Chinese (never a traceback).

Sign-in state is the session credential the gateway gave at sign-in, kept in an HttpOnly,
SameSite=Lax cookie (Secure over TLS); the portal stores nothing about the person itself. A
form's CSRF token is an HMAC of that credential (or, before sign-in, of a random cookie of
its own): a page of another site can neither read the cookie nor so compute the token, and no
server-side secret has to be shared between portal processes.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import grpc
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from libs.client.client import ClientError, KepuClient
from libs.common.progress import STATUS_TONES
from libs.common.wording import date_label, number
from services.portal.gateway import Gateway, Person, call, is_signed_out

SESSION_COOKIE = "kepu_session"
FORM_COOKIE = "kepu_form"  # before sign-in: what the sign-in and set-up forms' CSRF tokens derive from
CSRF_FIELD = "csrf"
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters.update(number=number, date=date_label, tone=lambda s: STATUS_TONES.get(s, "quiet"))


class SignInNeeded(Exception):
    """No session, or one that ended: the person is sent to the sign-in page, then back."""

    def __init__(self, next_path: str, why: str = ""):
        self.next_path, self.why = next_path, why


class PageError(Exception):
    """A page that cannot be shown, with what to tell the person."""

    def __init__(self, status: int, title: str, message: str):
        self.status, self.title, self.message = status, title, message


class FormExpired(PageError):
    def __init__(self):
        super().__init__(403, "表单已失效", "为保护您的账号，这个表单已失效（可能打开太久，或不是从本系统提交的）。"
                                              "请返回上一页，刷新后重新提交。")


@dataclass
class Visit:
    """A signed-in person's request: who, and a client calling as them."""

    request: Request
    person: Person
    api: KepuClient
    credential: str

    @property
    def csrf(self) -> str:
        return csrf_for(self.credential)


def csrf_for(key: str) -> str:
    return hmac.new(key.encode(), b"kepu-portal-form", hashlib.sha256).hexdigest()[:40]


def secure_cookies(request: Request) -> bool:
    setting = request.app.state.portal.portal_secure_cookies
    return setting if setting is not None else request.url.scheme == "https" or \
        request.app.state.public_url.startswith("https://")


def set_session_cookie(response: Response, request: Request, credential: str, max_age: int) -> None:
    response.set_cookie(SESSION_COOKIE, credential, max_age=max_age, httponly=True, samesite="lax",
                        secure=secure_cookies(request), path="/")


def drop_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def gateway_of(request: Request) -> Gateway:
    return request.app.state.gateway


async def visit(request: Request, *, write: bool = False, admin: bool = False) -> Visit:
    """The signed-in person behind ``request``, or ``SignInNeeded``; ``write``/``admin`` pages
    refuse a person whose role may not use them (the gateway would refuse the calls anyway)."""
    credential = request.cookies.get(SESSION_COOKIE, "")
    next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not credential:
        raise SignInNeeded(next_path)
    api = gateway_of(request).as_person(credential)
    try:
        person = Person.of(await call(api.who_am_i))
    except ClientError as exc:
        if is_signed_out(exc):
            raise SignInNeeded(next_path, "expired") from None
        raise
    if write and not person.may_write:
        raise PageError(403, "没有填报权限", f"您的账号（{person.role_name}）只能查看本单位的数据，不能填报或修改。"
                                            f"如需填报，请联系{person.region_word}科协为您开通填报员账号。")
    if admin and not person.is_admin:
        word = person.region_word
        raise PageError(403, f"仅限{word}科协管理员", f"这个页面是{word}科协（领导小组办公室）的全{word}总览，您的账号不能查看。")
    return Visit(request, person, api, credential)


async def checked_form(request: Request, key: str):
    """The posted form, once its CSRF token matches ``key``'s; else ``FormExpired``."""
    form = await request.form(max_part_size=request.app.state.portal.portal_upload_max_bytes)
    sent = str(form.get(CSRF_FIELD, ""))
    if not key or not hmac.compare_digest(sent, csrf_for(key)):
        raise FormExpired()
    return form


# pages with a person's data are never stored; a form page may be kept for the back button, so
# that going back to it and sending it again sends the same external_id (stored once)
NO_STORE, BACK_BUTTON = "no-store", "private, max-age=0"


def render(request: Request, template: str, context: dict, status: int = 200,
           visit_: Visit | None = None, cache: str = NO_STORE) -> HTMLResponse:
    context = {"request": request, "visit": visit_, "person": visit_.person if visit_ else None,
               "csrf": visit_.csrf if visit_ else "", "page": template.removesuffix(".html"), **context}
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status,
                                      headers={"Cache-Control": cache})


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def sign_in_redirect(exc: SignInNeeded) -> RedirectResponse:
    target = f"/login?next={quote(exc.next_path, safe='')}" + (f"&why={exc.why}" if exc.why else "")
    response = redirect(target)
    if exc.why:
        drop_session_cookie(response)
    return response


def form_key(request: Request) -> tuple[str, str | None]:
    """The key of a page's forms before sign-in, and a new cookie value if there is none yet."""
    key = request.cookies.get(FORM_COOKIE, "")
    if key:
        return key, None
    key = secrets.token_urlsafe(24)
    return key, key


def set_form_cookie(response: Response, request: Request, value: str | None) -> Response:
    if value:
        response.set_cookie(FORM_COOKIE, value, httponly=True, samesite="lax", secure=secure_cookies(request),
                            path="/")
    return response


GRPC_PAGES = {
    grpc.StatusCode.PERMISSION_DENIED: (403, "无权访问", "您的账号不能查看或修改这项内容。"),
    grpc.StatusCode.NOT_FOUND: (404, "找不到这项内容", "它不存在，或不属于您的单位。"),
    grpc.StatusCode.UNAVAILABLE: (503, "系统暂时无法连接", "数据服务暂时无法连接，请稍后刷新重试；如持续出现，请联系县科协。"),
    grpc.StatusCode.DEADLINE_EXCEEDED: (503, "系统繁忙", "数据服务响应超时，请稍后刷新重试。"),
    grpc.StatusCode.RESOURCE_EXHAUSTED: (429, "请求过于频繁", "请稍等片刻再试。"),
}


def page_for(exc: ClientError) -> PageError:
    status, title, message = GRPC_PAGES.get(exc.code, (500, "出错了", "系统处理时出错，请稍后再试；如持续出现，请联系县科协。"))
    return PageError(status, title, message)
