"""Use cases of reporting periods in the activities service (groundwork of issue 19): an
organisation submits a period (or a nil report), the office approves it (locking it) or
reopens it with a reason, and anyone reads where their periods stand.

The rules are ``libs.common.plan.completeness`` (pure); the duty and the deadline come from the
plan's ``reporting:`` section and China's working days. ``locked_by`` is how ``app`` refuses a
report, correction or retraction dated in an approved period (``Locked``: FAILED_PRECONDITION at
the gateway). Not yet here: the RPC wiring, gRPC, CLI, reminders, metrics and the portal.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from libs.common.access import Caller
from libs.common.errors import BadRequest, NotFound, PermissionDenied, Violation, clip
from libs.common.plan import completeness
from libs.common.plan.duties import EVERY_NAMES, ReportingPeriod, deadline, duty_of, period_of, periods
from libs.common.plan.schema import Plan
from libs.common.workdays import WorkdayCalendar
from services.activities.models import KnownOrganisation, PeriodAudit, PeriodReport
from services.activities.repository import org_kinds

if TYPE_CHECKING:
    from services.activities.app import Context


def approved_periods(session: Session, org: str) -> dict[str, completeness.Submission]:
    """The periods of ``org`` the office approved, by key: loaded once per batch (a handful of
    rows), so a batch of 1,000 reports costs one query for the lock, not one per row."""
    return {r.period: _submission(r) for r in session.scalars(
        select(PeriodReport).where(PeriodReport.org == org, PeriodReport.approved_at.is_not(None)))}


def locked_by(approved: dict[str, completeness.Submission], plan: Plan, org: str, kind: str,
              days: list[dt.date]) -> Violation | None:
    """Why a change by ``org`` touching ``days`` is refused: the first of them in an approved
    period (a violation on ``start_date`` naming the approval), else None."""
    duty = duty_of(plan, org, kind) if approved else None
    if duty is None:
        return None
    for day in days:
        if (submission := approved.get(period_of(duty, day).key)) is not None:
            return Violation("start_date", "period_locked", str(completeness.PeriodLocked(submission)))
    return None


def _submission(record: PeriodReport | None) -> completeness.Submission | None:
    if record is None:
        return None
    return completeness.Submission(org=record.org, period=record.period, submitted_at=record.submitted_at,
                                   nil=record.nil, approved_at=record.approved_at, approved_by=record.approved_by)


def _period(ctx: Context, org: str, kind: str, key: str) -> ReportingPeriod:
    """The period ``key`` of ``org``'s duty; a key that is not one of its periods names the field."""
    duty = duty_of(ctx.plan, org, kind)
    if duty is None:
        raise BadRequest.of("org", "not_reporting", f"「{org}」按规划不需要报送")
    try:
        year = int(key[:4])
    except ValueError:
        year = 0
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


def _view(record: PeriodReport | None, period: ReportingPeriod, due: dt.date, today: dt.date, org: str) -> dict:
    submission = _submission(record)
    return {"org": org, "period": period.key, "start": period.start.isoformat(), "end": period.end.isoformat(),
            "due": due.isoformat(), "state": completeness.state_of(period, due, submission, today),
            "nil": bool(record and record.nil), "submitted_at": record.submitted_at.isoformat() if record else None,
            "approved_at": record.approved_at.isoformat() if record and record.approved_at else None}


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
        raise BadRequest.of("period", "period_locked", str(locked)) from None
    except ValueError as exc:
        raise BadRequest.of("period", "not_started", str(exc)) from None
    if record is None:
        record = PeriodReport(org=caller.org, period=key, submitted_at=submission.submitted_at, nil=nil,
                              approved_by="")
        ctx.session.add(record)
    record.nil = submission.nil
    _audit(ctx, caller, caller.org, key, "submitted", nil, None, now)
    ctx.session.commit()
    return _view(record, period, deadline(period, duty_of(ctx.plan, caller.org, caller.org_kind), calendar),
                 ctx.today, caller.org)


def _org_kind(ctx: Context, org: str) -> str:
    kind = org_kinds(ctx.session, [org]).get(org)
    if kind is None:
        raise NotFound(f"no organisation {org!r}")
    return kind


def approve_period(ctx: Context, caller: Caller, org: str, key: str, now: dt.datetime) -> dict:
    """审核: the office locks a submitted period."""
    if not caller.is_admin:
        raise PermissionDenied("only the 科协 office (admin) approves periods")
    period = _period(ctx, org, _org_kind(ctx, org), key)
    record = _record(ctx, org, key)
    try:
        submission = completeness.approve(_submission(record), caller.account or caller.org, now)
    except completeness.NotSubmitted as exc:
        raise BadRequest.of("period", "not_submitted", str(exc)) from None
    if record.approved_at is None:
        record.approved_at, record.approved_by = submission.approved_at, submission.approved_by
        _audit(ctx, caller, org, key, "approved", record.nil, None, now)
        ctx.session.commit()
    return {"org": org, "period": period.key, "approved_at": record.approved_at.isoformat()}


def reopen_period(ctx: Context, caller: Caller, org: str, key: str, reason: str, now: dt.datetime) -> dict:
    """An admin unlocks an approved period, with a reason for the audit trail."""
    if not caller.is_admin:
        raise PermissionDenied("only the 科协 office (admin) reopens periods")
    period = _period(ctx, org, _org_kind(ctx, org), key)
    record = _record(ctx, org, key)
    try:
        completeness.reopen(_submission(record), reason)
    except completeness.NotSubmitted as exc:
        raise BadRequest.of("period", "not_approved", str(exc)) from None
    except ValueError as exc:
        raise BadRequest.of("reason", "missing", str(exc)) from None
    record.approved_at, record.approved_by = None, ""
    _audit(ctx, caller, org, key, "reopened", record.nil, reason.strip()[:500], now)
    ctx.session.commit()
    return {"org": org, "period": period.key, "approved_at": None}


def reporting_status(ctx: Context, caller: Caller, year: int, calendar: WorkdayCalendar) -> list[dict]:
    """Every period of ``year`` of each organisation the caller may read (an admin: all that report),
    with its state. A period not submitted has no figure at all: its state says why."""
    query = select(KnownOrganisation.code, KnownOrganisation.kind).order_by(KnownOrganisation.code)
    if not caller.is_admin:
        query = query.where(KnownOrganisation.code == caller.org)
    orgs = list(ctx.session.execute(query).all()) or ([] if caller.is_admin else [(caller.org, caller.org_kind)])
    stored = {(r.org, r.period): r for r in ctx.session.scalars(select(PeriodReport).where(
        PeriodReport.org.in_([o for o, _ in orgs])))}
    out = []
    for org, kind in orgs:
        duty = duty_of(ctx.plan, org, kind)
        if duty is None:
            continue
        for period in periods(duty, year):
            out.append(_view(stored.get((org, period.key)), period, deadline(period, duty, calendar), ctx.today, org))
    return out
