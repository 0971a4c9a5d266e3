"""报送 (reporting as a duty) in the portal: on 我的进度 the organisation's periods of the year and
a button to submit one (本期已报送, or 本期无活动); on the office's overview who is late, who is
due, and what waits for approval (审核), with approve and reopen. Every rule (own organisation,
roles, locks, the calendar) is the gateway's; a refusal is shown in its own words."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

import grpc
from starlette.requests import Request

from libs.client.client import ClientError
from libs.common.plan.completeness import STATE_WORDS
from libs.common.plan.duties import EVERY_NAMES, period_label
from services.portal.gateway import call
from services.portal.web import page_for, redirect

STATE_TONES = {"missing": "bad", "late": "warn", "due": "watch", "on_time": "good", "open": "quiet"}


@dataclass(frozen=True)
class PeriodView:
    """One period of one organisation, in the words a page shows."""

    org: str
    org_name: str
    key: str
    label: str
    every: str
    state: str
    state_word: str
    tone: str
    start: dt.date
    due: dt.date
    activities: int | None  # None: nothing reported and not submitted (no value, not 0)
    nil: bool
    submitted: bool
    approved: bool
    approved_by: str

    @property
    def may_submit(self) -> bool:
        """Started, not locked: submitting again only confirms (the first time is kept)."""
        return not self.approved and not self.submitted

    @property
    def activities_text(self) -> str:
        if self.nil:
            return "本期无活动"
        return "—" if self.activities is None else f"{self.activities}项活动"


def view_of(p, names: dict[str, str] | None = None) -> PeriodView:
    """A ``ReportingPeriod`` message as a page shows it."""
    return PeriodView(
        org=p.org, org_name=(names or {}).get(p.org, p.org), key=p.period, label=period_label(p.period),
        every=EVERY_NAMES.get(p.every, p.every), state=p.state, state_word=STATE_WORDS.get(p.state, p.state),
        tone=STATE_TONES.get(p.state, "quiet"), start=dt.date.fromisoformat(p.start), due=dt.date.fromisoformat(p.due),
        activities=p.activities if p.HasField("activities") else None, nil=p.nil, submitted=bool(p.submitted_at),
        approved=bool(p.approved_at), approved_by=p.approved_by)


def next_to_submit(periods: list[PeriodView]) -> PeriodView | None:
    """The period a clerk should submit now: the earliest ended and not submitted (missing, then
    due), else none (the running period is submitted once it ends)."""
    waiting = [p for p in periods if p.state in ("missing", "due")]
    return min(waiting, key=lambda p: p.due) if waiting else None


@dataclass(frozen=True)
class Owed:
    """The organisations owing one period: one line on the office's page, not one per unit."""

    label: str
    due: dt.date
    names: list[str]


def owed(periods: list[PeriodView]) -> list[Owed]:
    """``periods`` grouped by period (earliest deadline first), names in order."""
    groups: dict[str, list[PeriodView]] = {}
    for p in periods:
        groups.setdefault(p.key, []).append(p)
    return sorted((Owed(rows[0].label, rows[0].due, sorted(p.org_name for p in rows)) for rows in groups.values()),
                  key=lambda o: o.due)


@dataclass(frozen=True)
class ToApprove:
    """One period's submitted reports waiting for 审核, approved one by one or all at once."""

    key: str
    label: str
    rows: list[PeriodView]


def to_approve(periods: list[PeriodView]) -> list[ToApprove]:
    """Submitted, not yet approved, by period (the latest first: what the office works on now)."""
    groups: dict[str, list[PeriodView]] = {}
    for p in sorted(periods, key=lambda p: p.org_name):
        if p.submitted and not p.approved:
            groups.setdefault(p.key, []).append(p)
    return sorted((ToApprove(key, rows[0].label, rows) for key, rows in groups.items()),
                  key=lambda g: g.rows[0].due, reverse=True)


@dataclass(frozen=True)
class OfficeReporting:
    """The office's view of one year: who is late, who is due, what waits for approval."""

    missing: list[Owed]
    due: list[Owed]
    to_approve: list[ToApprove]
    approved: list[PeriodView]
    expected: int
    submitted: int
    on_time: int


def office_reporting(periods: list[PeriodView]) -> OfficeReporting:
    """Expected: the periods whose report is owed by now (submitted early or not); a period still
    running or not yet past its deadline is expected of nobody."""
    return OfficeReporting(
        missing=owed([p for p in periods if p.state == "missing"]),
        due=owed([p for p in periods if p.state == "due"]),
        to_approve=to_approve(periods),
        approved=sorted((p for p in periods if p.approved), key=lambda p: (p.due, p.org_name), reverse=True),
        expected=sum(p.state in ("on_time", "late", "missing") for p in periods),
        submitted=sum(p.state in ("on_time", "late") for p in periods),
        on_time=sum(p.state == "on_time" for p in periods))


async def own_periods(v) -> list[PeriodView]:
    """The visitor's organisation's periods of this year (none for a unit that reports to nobody)."""
    _, found = await call(v.api.reporting_status, 0, v.person.org)
    return [view_of(p) for p in found]


def _refusal(exc: ClientError) -> str:
    return "；".join(d for _, d in exc.violations) or exc.message


async def refused_or_raise(exc: ClientError, page, request: Request):
    """A refusal the person can act on (a locked or unknown period) shown on the page it came
    from; anything else is the error page."""
    if exc.code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION):
        return await page(request, refused=_refusal(exc), status=400)
    raise page_for(exc) from None


def done(path: str, outcome: str, key: str, org: str = "", count: int | None = None):
    """Back to the page (a GET: reloading does not submit twice), saying what happened once: the
    page words it from the outcome and the period's key, never from text in the address."""
    query = urlencode({k: v for k, v in (("periods", outcome), ("period", key[:16]), ("org", org[:64]),
                                         ("count", "" if count is None else str(count))) if v})
    return redirect(f"{path}?{query}#periods")


def notice(request: Request, names: dict[str, str] | None = None) -> str | None:
    """What ``done`` reported, in words."""
    outcome, key = request.query_params.get("periods"), request.query_params.get("period", "")
    org = request.query_params.get("org", "")
    who = (names or {}).get(org, "")  # a name the office knows, never text from the address
    count = request.query_params.get("count", "")
    words = {"submitted": f"已报送{period_label(key)}。", "nil": f"已报送{period_label(key)}：本期无活动。",
             "approved": f"已审核并锁定{who}{period_label(key)}的报送。",
             "approved_all": f"已审核并锁定{period_label(key)}{count if count.isdigit() else ''}个单位的报送。",
             "reopened": f"已重新打开{who}{period_label(key)}，该单位可以修改后再报送。"}
    return words.get(outcome or "")
