"""Signing in and out, and choosing a password from the one-time set-up link."""
from __future__ import annotations

import grpc
from starlette.requests import Request

from libs.client.client import ClientError
from services.portal.gateway import Person, call
from services.portal.web import (
    SESSION_COOKIE,
    checked_form,
    csrf_for,
    drop_session_cookie,
    form_key,
    gateway_of,
    page_for,
    redirect,
    render,
    set_form_cookie,
    set_session_cookie,
)

SIGN_IN_NOTES = {
    "expired": "登录已过期或已在别处退出，请重新登录。",
    "signed_out": "您已安全退出。",
    "set_up": "密码已设置，请用新密码登录。",
}


def _safe_next(value: str) -> str:
    """Only a path of this site: a sign-in link must not send a person elsewhere."""
    return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"


def client_address(request: Request) -> str:
    """The person's address: uvicorn already put there what a trusted proxy
    (``KEPU_PORTAL_TRUSTED_PROXIES``) says it saw."""
    return request.client.host if request.client else ""


async def sign_in_page(request: Request):
    key, new = form_key(request)
    context = {"next": _safe_next(request.query_params.get("next", "/")), "account": "",
               "note": SIGN_IN_NOTES.get(request.query_params.get("why", ""), ""), "error": ""}
    return set_form_cookie(_sign_in(request, context, key), request, new)


def _sign_in(request: Request, context: dict, key: str, status: int = 200):
    return render(request, "login.html", {**context, "form_csrf": csrf_for(key)}, status=status)


async def sign_in(request: Request):
    key, _ = form_key(request)
    form = await checked_form(request, key)
    account, password = str(form.get("account", "")).strip(), str(form.get("password", ""))
    context = {"next": _safe_next(str(form.get("next", "/"))), "account": account, "note": "", "error": ""}
    if not account or not password:
        context["error"] = "请填写账号和密码。"
        return _sign_in(request, context, key, status=400)
    try:
        answer = await call(gateway_of(request).anonymous().sign_in, account, password, client_address(request))
    except ClientError as exc:
        if exc.code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.RESOURCE_EXHAUSTED,
                        grpc.StatusCode.INVALID_ARGUMENT):
            context["error"] = exc.message or "账号或密码不正确。"
            return _sign_in(request, context, key, status=401 if exc.code != grpc.StatusCode.RESOURCE_EXHAUSTED
                            else 429)
        raise page_for(exc) from None
    response = redirect(context["next"])
    set_session_cookie(response, request, answer.session_token, max_age=max(answer.idle_timeout_seconds, 60) * 3)
    return response


async def sign_out(request: Request):
    credential = request.cookies.get(SESSION_COOKIE, "")
    await checked_form(request, credential)
    try:
        await call(gateway_of(request).as_person(credential).sign_out)
    except ClientError:
        pass  # already ended: the person is signed out either way
    response = redirect("/login?why=signed_out")
    drop_session_cookie(response)
    return response


async def setup_page(request: Request):
    code = request.path_params["code"]
    key, new = form_key(request)
    try:
        identity = Person.of(await call(gateway_of(request).anonymous().describe_setup, code))
    except ClientError as exc:
        if exc.code == grpc.StatusCode.NOT_FOUND:
            return render(request, "setup.html", {"invalid": exc.message or "设置链接无效或已过期，请联系县科协重新获取。"},
                          status=404)
        raise page_for(exc) from None
    return set_form_cookie(_setup(request, identity, key, {}), request, new)


def _setup(request: Request, identity: Person, key: str, context: dict, status: int = 200):
    return render(request, "setup.html", {"identity": identity, "form_csrf": csrf_for(key), "error": "", **context},
                  status=status)


async def setup(request: Request):
    code = request.path_params["code"]
    key, _ = form_key(request)
    form = await checked_form(request, key)
    password, again = str(form.get("password", "")), str(form.get("password_again", ""))
    anonymous = gateway_of(request).anonymous()
    try:
        identity = Person.of(await call(anonymous.describe_setup, code))
    except ClientError as exc:
        if exc.code == grpc.StatusCode.NOT_FOUND:
            return render(request, "setup.html", {"invalid": exc.message}, status=404)
        raise page_for(exc) from None
    if password != again:
        return _setup(request, identity, key, {"error": "两次输入的密码不一致，请重新输入。"}, status=400)
    try:
        await call(anonymous.complete_setup, code, password)
    except ClientError as exc:
        if exc.code == grpc.StatusCode.INVALID_ARGUMENT:
            message = "；".join(d for _, d in exc.violations) or exc.message
            return _setup(request, identity, key, {"error": message}, status=400)
        raise page_for(exc) from None
    return redirect("/login?why=set_up")
