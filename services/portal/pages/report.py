"""填报活动: the activity form, and after it how the figures moved.

Each form carries a hidden external_id made when it was shown, so a double click or a
back-and-resubmit sends the same report twice and the gateway stores it once (the second
answer says ``created=false``). After storing, the person is sent on (POST/redirect/GET) to a
page that shows the indicators this activity feeds, before and after.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import grpc
from starlette.requests import Request

from libs.client.client import ClientError
from libs.common.wording import window_holds, window_label
from services.portal.forms import activity_form, fill, place, report_of
from services.portal.gateway import call
from services.portal.web import BACK_BUTTON, Visit, checked_form, page_for, redirect, render, visit

SETTLE_SECONDS = 3.0
FORM_ID = re.compile(r"^portal-[0-9a-f-]{36}$")  # how long the result page waits for the indicators to count the activity


async def form_parts(v: Visit, chosen: str):
    plan = await call(v.api.plan)
    towns = await call(v.api.list_organisations, "town")
    organisations = plan.organisations
    return plan, activity_form(plan, towns, organisations, chosen, v.person.org,
                               town_only=v.person.org if v.person.is_town else "")


def new_form_id() -> str:
    return f"portal-{uuid.uuid4()}"


async def report_page(request: Request):
    """The form. Its external_id is in its address (``?form=``), so going back to it, even where
    the browser fetches it again, gives the same id: sent again, the report is stored once."""
    v = await visit(request, write=True)
    chosen, form_id = request.query_params.get("type", ""), request.query_params.get("form", "")
    if chosen and not FORM_ID.match(form_id):
        return redirect(f"/report?{urlencode({'type': chosen, 'form': new_form_id()})}")
    _, form = await form_parts(v, chosen)
    form.values = {"start_date": "", "end_date": ""}
    if v.person.is_town:
        form.values["town"] = v.person.org
    return render(request, "report.html", {"form": form, "external_id": form_id, "form_id": new_form_id()},
                  visit_=v, cache=BACK_BUTTON)


async def report(request: Request):
    v = await visit(request, write=True)
    posted = await checked_form(request, v.credential)
    plan, form = await form_parts(v, str(posted.get("activity_type", "")))
    fill(form, posted)
    external_id = str(posted.get("external_id", ""))
    if not FORM_ID.match(external_id):  # not from this form: a new activity, a new id
        external_id = new_form_id()
    if not form.chosen:
        form.errors["activity_type"] = "请选择活动类型"
        return render(request, "report.html", {"form": form, "external_id": external_id}, 400, visit_=v)
    report, problems = report_of(form)
    if problems:
        form.errors.update(problems)
        return render(request, "report.html", {"form": form, "external_id": external_id}, 400, visit_=v)
    report["external_id"] = external_id
    before = await moved_figures(v, plan, form.chosen, report["start_date"])
    try:
        answer = await call(v.api.report, report)
    except ClientError as exc:
        # FAILED_PRECONDITION: the date falls in a period the office approved (locked), said beside it
        if exc.code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.ALREADY_EXISTS,
                        grpc.StatusCode.FAILED_PRECONDITION):
            form.errors, form.general = place(exc.violations)
            if not exc.violations:
                form.general = [exc.message]
            return render(request, "report.html", {"form": form, "external_id": external_id}, 400, visit_=v)
        raise page_for(exc) from None
    query = {"created": int(answer.created), **{f"b.{k}": f"{f.value:g}" for k, f in before.items()}}
    return redirect(f"/report/done/{answer.activity.activity_id}?{urlencode(query)}")


@dataclass(frozen=True)
class Figure:
    indicator: str
    name: str
    window: str
    value: float
    unit: str
    scope_name: str

    @property
    def window_label(self) -> str:
        return window_label(self.window)


async def moved_figures(v: Visit, plan, activity_type: str, day: str) -> dict[str, Figure]:
    """The figures an activity of this type on ``day`` adds to: each indicator it feeds, in the
    window holding that day, the region's figure if the person may read it, else their own share."""
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        return {}
    fed = [i for i in plan.indicators if any(f.activity_type == activity_type for f in i.feeds)]
    if not fed:
        return {}
    own = f"{'town' if v.person.is_town else 'org'}:{v.person.org}"
    out = {}
    try:
        answer = await call(v.api.year_progress, date.year)
    except ClientError:
        return {}
    wanted = {i.code for i in fed}
    for item in answer.indicators:
        if item.indicator not in wanted or not window_holds(item.window, date):
            continue
        if item.HasField("total"):
            out[item.indicator] = Figure(item.indicator, item.name, item.window, item.total.actual, item.unit, "全县")
        else:
            share = next((s for s in (*item.by_org, *item.by_town) if s.scope == own), None)
            out[item.indicator] = Figure(item.indicator, item.name, item.window, share.actual if share else 0.0,
                                         item.unit, "本单位")
    return out


async def done_page(request: Request):
    v = await visit(request)
    activity = await call(v.api.get, request.path_params["activity_id"])
    plan = await call(v.api.plan)
    before = {k[2:]: amount for k, val in request.query_params.items()
              if k.startswith("b.") and (amount := _amount(val)) is not None}
    created = request.query_params.get("created") == "1"
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        after = await moved_figures(v, plan, activity.activity_type, activity.start_date)
        moved = any(f.value != before.get(k, f.value) for k, f in after.items())
        if not created or moved or not after or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    types = {t.code: t.name for t in plan.activity_types}
    rows = [{"figure": f, "before": before.get(k)} for k, f in after.items()]
    return render(request, "done.html", {"activity": activity, "type_name": types.get(activity.activity_type, ""),
                                         "created": created, "rows": rows, "settled": not created or moved},
                  visit_=v)


def _amount(text: str) -> float | None:
    """A figure carried in the result page's address; anything else is ignored, not a 500."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) < 1e15 else None
