"""Use cases of reporting periods in the activities service: an organisation submits a period (or
a nil report, 本期无活动), the office approves it (locking it) or reopens it with a reason, and
anyone reads where their periods stand.

The rules are ``libs.common.plan.completeness`` (pure); the duty and the deadline come from the
plan's ``reporting:`` section and China's working days. ``locked_by`` is how ``app`` refuses a
report, correction or retraction dated in an approved period (``Locked``: FAILED_PRECONDITION at
the gateway).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from libs.common.access import Caller
from libs.common.errors import BadRequest, FailedPrecondition, Locked, NotFound, PermissionDenied, Violation, clip
from libs.common.plan import completeness
from libs.common.plan.duties import (
    EVERY_NAMES,
    ReportingPeriod,
    deadline,
    period_label,
    period_of,
    periods,
)
from libs.common.plan.schema import Duty
from libs.common.workdays import WorkdayCalendar
from services.activities.models import Activity, KnownOrganisation, PeriodAudit, PeriodReport
from services.activities.repository import org_kinds

if TYPE_CHECKING:
    from services.activities.app import Context


def approved_periods(session: Session, org: str) -> dict[str, completeness.Submission]:
    """The periods of ``org`` the office approved, by key: loaded once per batch (a handful of
    rows), so a batch of 1,000 reports costs one query for the lock, not one per row."""
    return {r.period: _submission(r) for r in session.scalars(
        select(PeriodReport).where(PeriodReport.org == org, PeriodReport.approved_at.is_not(None)))}


def locked_by(approved: dict[str, completeness.Submission], duty_in: Callable[[int], Duty | None],
              days: list[dt.date]) -> Violation | None:
    """Why a change touching ``days`` is refused: the first of them in an approved period of the
    organisation's duty in that year (``duty_in``; a violation on ``start_date`` naming the
    approval), else None."""
    if not approved:
        return None
    for day in days:
        duty = duty_in(day.year)
        if duty is not None and (submission := approved.get(period_of(duty, day).key)) is not None:
            return Violation("start_date", "period_locked", str(completeness.PeriodLocked(submission)))
    return None


def _submission(record: PeriodReport | None) -> completeness.Submission | None:
    if record is None:
        return None
    return completeness.Submission(org=record.org, period=record.period, submitted_at=record.submitted_at,
                                   nil=record.nil, approved_at=record.approved_at, approved_by=record.approved_by)


def _period(ctx: Context, org: str, kind: str, key: str) -> ReportingPeriod:
    """The period ``key`` of ``org``'s duty; a key that is not one of its periods names the field."""
    try:
        year = int(key[:4])
    except ValueError:
        year = 0
    duty = ctx.duty(org, kind, year if 1900 < year < 2200 else ctx.today.year) \
        or ctx.duty(org, kind, ctx.atlas.year_in_plan(ctx.region(org), ctx.today))
    if duty is None:
        raise BadRequest.of("org", "not_reporting", f"「{org}」按规划不需要报送")
    found = next((p for p in periods(duty, year) if p.key == key), None) if 1900 < year < 2200 else None
    if found is None:
        example = periods(duty, ctx.today.year)[0].key
        raise BadRequest.of("period", "unknown_period",
                            f"「{clip(key)}」不是本单位的报送期；本单位{EVERY_NAMES[duty.every]}报送，例如 {example}")
    return found


def _audit(ctx: Context, caller: Caller, org: str, period: str, action: str, nil: bool, reason: str | None,
           now: dt.datetime) -> None:
    ctx.session.add(PeriodAudit(org=org, period=period, action=action, nil=nil, reason=reason, at=now,
                                **caller.audit_fields()))


def _view(record: PeriodReport | None, period: ReportingPeriod, due: dt.date, today: dt.date, org: str,
          every: str, activities: int) -> dict:
    """One period of one organisation as the RPC answers it. ``activities`` (dated in the period,
    retractions excluded) has no value while nothing is reported and the period is not submitted:
    that is not known to be zero."""
    submission = _submission(record)
    return {"org": org, "period": period.key, "every": every, "start": period.start.isoformat(),
            "end": period.end.isoformat(), "due": due.isoformat(),
            "state": completeness.state_of(period, due, submission, today),
            "nil": completeness.reads_as_nil(submission, activities),
            "activities": activities if activities or submission is not None else None,
            "submitted_at": record.submitted_at.isoformat() if record else None,
            "approved_at": record.approved_at.isoformat() if record and record.approved_at else None,
            "approved_by": record.approved_by if record and record.approved_at else ""}


Months = dict[str, dict[tuple[int, int], int]]  # organisation -> (year, month) -> activities


def _activity_months(ctx: Context, orgs: list[str], start: dt.date, end: dt.date) -> Months:
    """Activities (retractions excluded) of ``orgs`` by organisation and month of their start date
    between two days: one query; a period is a run of whole months, so it sums a few buckets."""
    rows = ctx.session.execute(
        select(Activity.org, Activity.start_date, func.count()).where(
            Activity.org.in_(orgs), Activity.retracted.is_(False), Activity.start_date.between(start, end))
        .group_by(Activity.org, Activity.start_date))
    months: Months = {}
    for org, day, count in rows:
        bucket = months.setdefault(org, {})
        bucket[(day.year, day.month)] = bucket.get((day.year, day.month), 0) + count
    return months


def _in_period(months: Months, org: str, period: ReportingPeriod) -> int:
    own = months.get(org, {})
    return sum(own.get((period.start.year, m), 0) for m in range(period.start.month, period.end.month + 1))


def _record(ctx: Context, org: str, key: str) -> PeriodReport | None:
    return ctx.session.scalar(select(PeriodReport).where(PeriodReport.org == org, PeriodReport.period == key))


def submit_period(ctx: Context, caller: Caller, key: str, nil: bool, calendar: WorkdayCalendar,
                  now: dt.datetime) -> dict:
    """本期已报送 / 本期无活动 for the caller's own organisation."""
    if not caller.may_write:
        raise PermissionDenied(f"a {caller.role} reads only; submitting a period needs a reporter")
    period = _period(ctx, caller.org, caller.org_kind, key)
    record = _record(ctx, caller.org, key)
    try:
        submission = completeness.submit(_submission(record), caller.org, period, nil, now, ctx.today)
    except completeness.PeriodLocked as locked:
        raise Locked.of("period", "period_locked", str(locked)) from None
    except ValueError as exc:
        raise BadRequest.of("period", "not_started", str(exc)) from None
    if record is None:
        record = PeriodReport(org=caller.org, period=key, submitted_at=submission.submitted_at, nil=nil,
                              approved_by="")
        ctx.session.add(record)
    record.nil = submission.nil
    _audit(ctx, caller, caller.org, key, "submitted", nil, None, now)
    ctx.session.commit()
    return _period_view(ctx, caller.org, caller.org_kind, record, period, calendar)


def _period_view(ctx: Context, org: str, kind: str, record: PeriodReport | None, period: ReportingPeriod,
                 calendar: WorkdayCalendar) -> dict:
    duty = ctx.duty(org, kind, period.start.year)
    activities = _in_period(_activity_months(ctx, [org], period.start, period.end), org, period)
    return _view(record, period, deadline(period, duty, calendar), ctx.today, org, duty.every, activities)


def _office_acts_on(ctx: Context, caller: Caller, org: str, key: str,
                    verb: str) -> tuple[str, ReportingPeriod, PeriodReport | None]:
    """What approving or reopening acts on: the organisation's kind, the period, its stored report;
    only the office may, and only on a period of the organisation's duty."""
    if not caller.is_admin:
        raise PermissionDenied(f"only the 科协 office (admin) {verb} periods")
    kind = org_kinds(ctx.session, [org]).get(org)
    if kind is None or not ctx.reaches(caller, org):  # a neighbour's unit is as unknown as none
        raise NotFound(f"no organisation {org!r}")
    return kind, _period(ctx, org, kind, key), _record(ctx, org, key)


def approve_period(ctx: Context, caller: Caller, org: str, key: str, calendar: WorkdayCalendar,
                   now: dt.datetime) -> dict:
    """审核: the office locks a submitted period."""
    kind, period, record = _office_acts_on(ctx, caller, org, key, "approves")
    try:
        submission = completeness.approve(_submission(record), caller.account or caller.org, now)
    except completeness.NotSubmitted as exc:
        raise FailedPrecondition(f"{org} {period_label(key)}：{exc}") from None
    if record.approved_at is None:
        record.approved_at, record.approved_by = submission.approved_at, submission.approved_by
        _audit(ctx, caller, org, key, "approved", record.nil, None, now)
        ctx.session.commit()
    return _period_view(ctx, org, kind, record, period, calendar)


def reopen_period(ctx: Context, caller: Caller, org: str, key: str, reason: str, calendar: WorkdayCalendar,
                  now: dt.datetime) -> dict:
    """An admin unlocks an approved period, with a reason for the audit trail."""
    kind, period, record = _office_acts_on(ctx, caller, org, key, "reopens")
    try:
        completeness.reopen(_submission(record), reason)
    except completeness.NotSubmitted as exc:
        raise FailedPrecondition(f"{org} {period_label(key)}：{exc}") from None
    except ValueError as exc:
        raise BadRequest.of("reason", "missing", str(exc)) from None
    record.approved_at, record.approved_by = None, ""
    _audit(ctx, caller, org, key, "reopened", record.nil, reason.strip()[:500], now)
    ctx.session.commit()
    return _period_view(ctx, org, kind, record, period, calendar)


def every_status(ctx: Context, year: int, calendar: WorkdayCalendar) -> list[dict]:
    """Every period of ``year`` of every organisation that reports, in every region (the metrics)."""
    orgs = list(ctx.session.execute(select(KnownOrganisation.code, KnownOrganisation.kind)
                                    .order_by(KnownOrganisation.code)).all())
    return _statuses(ctx, orgs, year, year, calendar)


def reporting_status(ctx: Context, caller: Caller, year: int, calendar: WorkdayCalendar,
                     org: str | None = None) -> list[dict]:
    """Every period of ``year`` of each organisation the caller may read (an admin: all that report,
    or ``org``), with its state. A period not submitted has no figure at all: its state says why."""
    if org is not None and not caller.is_admin and org != caller.org:
        raise PermissionDenied("a department reads its own periods only; the office (admin) reads everyone's")
    query = select(KnownOrganisation.code, KnownOrganisation.kind).order_by(KnownOrganisation.code)
    if not caller.is_admin or org is not None:
        query = query.where(KnownOrganisation.code == (org or caller.org))
    orgs = list(ctx.session.execute(query).all()) or ([] if caller.is_admin else [(caller.org, caller.org_kind)])
    if caller.is_admin:  # an office reads its region and the regions below it, nothing beside
        top = ctx.caller_region(caller)
        orgs = [(code, kind) for code, kind in orgs if ctx.atlas.within(ctx.region(code), top)]
    return _statuses(ctx, orgs, year, year, calendar)


def _statuses(ctx: Context, orgs: list[tuple[str, str]], first_year: int, last_year: int,
              calendar: WorkdayCalendar, count_activities: bool = True) -> list[dict]:
    """Each period of ``orgs`` between two years; without ``count_activities`` the activities are
    not read (a period's state depends on its submission alone)."""
    codes = [o for o, _ in orgs]
    ctx.regions_of(codes)  # each organisation's region (its plan of each year) in one query
    stored = {(r.org, r.period): r for r in ctx.session.scalars(select(PeriodReport).where(
        PeriodReport.org.in_(codes)))}
    months = _activity_months(ctx, codes, dt.date(first_year, 1, 1), dt.date(last_year, 12, 31)) \
        if count_activities else {}
    due: dict[tuple, dt.date] = {}  # every unit of one duty shares its deadlines: worked out once
    out = []
    for code, kind in orgs:
        for year in range(first_year, last_year + 1):
            duty = ctx.duty(code, kind, year)
            if duty is None:
                continue
            for period in periods(duty, year):
                key = (duty.every, duty.due_working_days, period.key)
                if key not in due:
                    due[key] = deadline(period, duty, calendar)
                out.append(_view(stored.get((code, period.key)), period, due[key], ctx.today, code, duty.every,
                                 _in_period(months, code, period)))
    return out


def reporting_gaps(ctx: Context, first_year: int, last_year: int, calendar: WorkdayCalendar) -> dict[str, list]:
    """Every organisation that reports, with the periods between two years it has not submitted
    although their deadline passed ([key, first day, last day]; none: it owes nothing). What the
    gateway needs to tell a share that is 0 from one that is not known (ListProgress)."""
    if not 1900 <= first_year <= last_year <= first_year + 50:
        raise BadRequest.of("year", "out_of_range", f"{first_year}–{last_year} is not a span of calendar years")
    orgs = list(ctx.session.execute(select(KnownOrganisation.code, KnownOrganisation.kind)).all())
    gaps: dict[str, list] = {}
    # asked with every ListProgress: the states only, five years of activities left unread
    for view in _statuses(ctx, orgs, first_year, last_year, calendar, count_activities=False):
        owed = gaps.setdefault(view["org"], [])
        if view["state"] == "missing":
            owed.append([view["period"], view["start"], view["end"]])
    return gaps
