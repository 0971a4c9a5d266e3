"""我的记录: the organisation's activities, each one's history, its correction and retraction.

Which activities a person may read or change is the gateway's rule: another organisation's
activity is NOT_FOUND there, and so here (a URL does not reach it). A correction names the
revision the person read; if someone changed the activity meanwhile the gateway answers ABORTED
and the page says so in words, with what they typed kept.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import grpc
from starlette.requests import Request

from libs.client.client import ClientError
from libs.common.settings import get_settings
from libs.common.wording import date_label
from services.portal.forms import fill, place, report_of, values_of
from services.portal.gateway import call
from services.portal.pages.report import form_parts
from services.portal.web import PageError, Visit, checked_form, page_for, redirect, render, visit

ACTIONS = {"recorded": "填报", "corrected": "更正", "retracted": "撤回"}
FILTERS = ("activity_type", "start_date_from", "start_date_to", "town")
REASON_MAX = 500


def _filters(request: Request) -> dict:
    wanted = {k: request.query_params.get(k, "").strip() for k in FILTERS}
    for key in ("start_date_from", "start_date_to"):
        try:
            if wanted[key]:
                dt.date.fromisoformat(wanted[key])
        except ValueError:
            wanted[key] = ""
    return wanted


async def records_page(request: Request):
    v = await visit(request)
    filters = _filters(request)
    retracted = request.query_params.get("retracted") == "1"
    token = request.query_params.get("page", "")
    trail = [t for t in request.query_params.get("trail", "").split(",") if t]  # tokens of the pages before
    try:
        answer = await call(v.api.activities_page, request.app.state.portal.portal_page_size, token,
                            include_retracted=retracted, **{k: val for k, val in filters.items() if val})
    except ClientError as exc:
        if exc.code != grpc.StatusCode.INVALID_ARGUMENT:
            raise page_for(exc) from None
        raise PageError(400, "筛选条件有误", "；".join(d for _, d in exc.violations) or exc.message) from None
    plan = await call(v.api.plan)
    towns = await call(v.api.list_organisations, "town")
    base = {**{k: val for k, val in filters.items() if val}, **({"retracted": "1"} if retracted else {})}
    pages = {
        "next": f"?{urlencode({**base, 'page': answer.next_page_token, 'trail': ','.join([*trail, token])})}"
        if answer.next_page_token else "",
        "previous": f"?{urlencode({**base, 'page': trail[-1], 'trail': ','.join(trail[:-1])})}"
        if trail else (f"?{urlencode(base)}" if token else ""),
        "number": len(trail) + (2 if token else 1),
    }
    return render(request, "records.html", {
        "activities": answer.activities, "filters": filters, "retracted": retracted, "pages": pages,
        "type_names": {t.code: t.name for t in plan.activity_types},
        "types": [(t.code, t.name) for t in plan.activity_types],
        "towns": [(o.code, o.name) for o in towns], "town_names": {o.code: o.name for o in towns},
        "quantity_names": quantity_names(plan),
    }, visit_=v)


async def _activity(v: Visit, activity_id: str):
    """The activity, if the person may read it; another organisation's is "not found", the same
    page as one that does not exist (a URL does not even tell that it exists)."""
    try:
        return await call(v.api.get, activity_id)
    except ClientError as exc:
        if exc.code == grpc.StatusCode.PERMISSION_DENIED:
            raise page_for(ClientError(grpc.StatusCode.NOT_FOUND, "", [])) from None
        raise page_for(exc) from None


async def record_page(request: Request, retract_error: str = "", reason: str = "", status: int = 200):
    v = await visit(request)
    activity = await _activity(v, request.path_params["activity_id"])
    history = await call(v.api.history, activity.activity_id)
    plan = await call(v.api.plan)
    org_names = {o.code: o.name for o in plan.organisations}
    towns = await call(v.api.list_organisations, "town")
    org_names.update({o.code: o.name for o in towns})
    return render(request, "record.html", {
        "activity": activity, "history": list(reversed(history)), "actions": ACTIONS, "org_names": org_names,
        "type_name": {t.code: t.name for t in plan.activity_types}.get(activity.activity_type, activity.activity_type),
        "quantity_names": quantity_names(plan),
        "group_names": {g.code: g.name for g in plan.target_groups},
        "retract_error": retract_error, "reason": reason, "may_change": v.person.may_write,
        "at": _local_time,
    }, status=status, visit_=v)


def _local_time(value: str) -> str:
    """An RFC 3339 time as the county reads it: 2025年3月18日 14:05 (China time)."""
    if not value:
        return ""
    moment = dt.datetime.fromisoformat(value).astimezone(ZoneInfo(get_settings().timezone))
    return f"{date_label(moment.date())} {moment:%H:%M}"


async def correct_page(request: Request):
    v = await visit(request, write=True)
    activity = await _activity(v, request.path_params["activity_id"])
    if activity.retracted:
        raise PageError(409, "已撤回的活动不能更正", "这条活动已经撤回，不再计入任何指标。如需重新计入，请重新填报。")
    _, form = await form_parts(v, activity.activity_type)
    form.values = values_of(activity)
    form.co_organisers = list(activity.co_organisers)
    return render(request, "correct.html", {"form": form, "activity": activity, "revision": activity.revision,
                                            "reason": ""}, visit_=v)


async def correct(request: Request):
    v = await visit(request, write=True)
    posted = await checked_form(request, v.credential)
    activity = await _activity(v, request.path_params["activity_id"])
    _, form = await form_parts(v, str(posted.get("activity_type", "")) or activity.activity_type)
    fill(form, posted)
    reason = str(posted.get("reason", "")).strip()
    revision = int(str(posted.get("revision", "0")) or 0)
    context = {"form": form, "activity": activity, "revision": revision, "reason": reason}
    content, problems = report_of(form)
    if problems:
        form.errors.update(problems)
        return render(request, "correct.html", context, 400, visit_=v)
    content["external_id"] = activity.external_id
    try:
        await call(v.api.correct, activity.activity_id, revision, content, reason)
    except ClientError as exc:
        if exc.code == grpc.StatusCode.ABORTED:
            context["stale"] = (f"在您打开这个表单之后，这条活动已被更正为第{activity.revision}版"
                                f"（{_local_time(activity.updated_at)}）。您填写的内容仍保留在下面；"
                                "请先查看最新内容，确认后再提交，以免覆盖他人的修改。")
            context["revision"] = activity.revision
            return render(request, "correct.html", context, 409, visit_=v)
        if exc.code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.ALREADY_EXISTS,
                        grpc.StatusCode.FAILED_PRECONDITION):
            form.errors, form.general = place(exc.violations)
            if not exc.violations:
                form.general = [exc.message]
            return render(request, "correct.html", context, 400, visit_=v)
        raise page_for(exc) from None
    return redirect(f"/records/{activity.activity_id}?done=corrected")


async def retract(request: Request):
    v = await visit(request, write=True)
    posted = await checked_form(request, v.credential)
    reason = str(posted.get("reason", "")).strip()
    activity_id = request.path_params["activity_id"]
    if not reason:
        return await record_page(request, "请填写撤回原因（会记入修改记录）。", reason, status=400)
    if len(reason) > REASON_MAX:
        return await record_page(request, f"撤回原因最多{REASON_MAX}个字。", reason, status=400)
    revision = int(str(posted.get("revision", "0")) or 0)
    try:
        await call(v.api.retract, activity_id, reason, revision)
    except ClientError as exc:
        if exc.code == grpc.StatusCode.ABORTED:
            return await record_page(request, "这条活动刚被他人修改过，请查看最新内容后再决定是否撤回。", reason, status=409)
        if exc.code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION):
            message = "；".join(d for _, d in exc.violations) or exc.message
            return await record_page(request, message, reason, status=400)
        raise page_for(exc) from None
    return redirect(f"/records/{activity_id}?done=retracted")


def quantity_names(plan) -> dict[str, tuple[str, str]]:
    """Quantity code → (name before the amount, unit after it): "人数 40人", but "40场次" (a
    quantity named by its unit is not said twice)."""
    return {q.code: ("" if q.name == q.unit else q.name, q.unit) for q in plan.quantities}
