"""Use case: judge the reporting duties on the clock and publish what changed
(``reporting_duty_changed``, through the outbox), which notifications turns into the lines of its
digests: reminders before a deadline, 逾期未报送 after it, 未报送活动 after a campaign's season.

Run by the service's clock timer and right after a submission or a report, so that a duty done
resolves at once. The rules are ``duty_rules`` (pure); here are the rows: what was submitted and
reported, the last state published of each duty (its sequence: notifications skips an older
change arriving late), and since when duties are judged.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from libs.common.db import serialise
from libs.common.events import ReportingDutyChanged, make_envelope
from libs.common.outbox import add_to_outbox
from libs.common.plan.schema import Plan
from libs.common.workdays import WorkdayCalendar
from services.activities import duty_rules
from services.activities.models import (
    Activity,
    DutyMonitoring,
    DutyRecord,
    KnownOrganisation,
    OutboxEvent,
    PeriodReport,
    SerialLock,
)

if TYPE_CHECKING:
    from services.activities.app import Context

SOURCE = "activities"


def review_duties(ctx: Context, calendar: WorkdayCalendar, now: dt.datetime, orgs: list[str] | None = None) -> int:
    """Judge the duties of every known organisation (or of ``orgs``) as of ``ctx.today``, stage an
    event for each that changed, and commit. Returns how many changed."""
    session, today = ctx.session, ctx.today
    serialise(session, SerialLock, "duties")
    since = _monitoring_since(session, today)
    known = _organisations(session, orgs)
    submitted = _submitted(session, list(known))
    judged: list[duty_rules.Judgement] = []
    names: dict[str, str] = {}
    ctx.regions_of(list(known))  # every organisation's region in one query
    for region, plan in _plans_open(ctx, today):  # each region's duties, by the plan of each year still open
        kinds = {code: kind for code, (kind, _) in known.items() if ctx.region(code) == region}
        if not kinds:
            continue
        in_season = duty_rules.seasons(plan, today, since)
        judged += [*duty_rules.judge_periods(plan, kinds, submitted, today, since, calendar),
                   *duty_rules.judge_campaigns(plan, kinds, in_season, _reported(session, in_season, list(kinds)),
                                               today, calendar)]
        names |= {t.code: t.name for t in plan.activity_types}
    records = _records(session, list(known))
    changed = 0
    for judgement in judged:
        record = records.get(judgement.key)
        state = duty_rules.change(record.state if record else None, record.days_left if record else None, judgement)
        if state is None:
            continue
        record = record or _new_record(session, judgement.key)
        record.state, record.days_left, record.changed_at = state, judgement.days_left, now
        record.sequence += 1
        key = judgement.key
        add_to_outbox(session, OutboxEvent, make_envelope(SOURCE, ReportingDutyChanged(
            org=key.org, org_name=known[key.org][1], region=ctx.region(key.org), period=key.period,
            campaign=key.campaign or None,
            campaign_name=names.get(key.campaign, ""), state=state, starts=judgement.starts, due=judgement.due,
            days_left=judgement.days_left if state == "reminder" else None, as_of=today, sequence=record.sequence)))
        changed += 1
    session.commit()
    return changed


def _plans_open(ctx: Context, today: dt.date) -> list[tuple[str, Plan]]:
    """(region, plan) for each plan of each region covering last year or this one: a period of the
    ended plan can still be due in the new one's first weeks."""
    return [(region, plan) for region in ctx.atlas.regions for plan in ctx.atlas.plans_of(region)
            if plan.meta.period.start <= today.year and plan.meta.period.end >= today.year - 1]


def _monitoring_since(session: Session, today: dt.date) -> dt.date:
    """The first day duties were judged, recorded once."""
    mark = session.get(DutyMonitoring, 1)
    if mark is None:
        mark = DutyMonitoring(id=1, since=today)
        session.add(mark)
    return mark.since


def _organisations(session: Session, orgs: list[str] | None) -> dict[str, tuple[str, str]]:
    """code → (kind, name) of the organisations in activities' copy (all, or ``orgs``)."""
    query = select(KnownOrganisation.code, KnownOrganisation.kind, KnownOrganisation.name)
    if orgs is not None:
        query = query.where(KnownOrganisation.code.in_(orgs))
    return {code: (kind, name) for code, kind, name in session.execute(query)}


def _submitted(session: Session, orgs: list[str]) -> set[tuple[str, str]]:
    return set(session.execute(select(PeriodReport.org, PeriodReport.period).where(PeriodReport.org.in_(orgs))).all())


def _reported(session: Session, in_season: list[duty_rules.Season], orgs: list[str]) -> set[tuple[str, str, int]]:
    """(org, campaign, year) of each organisation with an activity of the campaign's type dated in
    its season (retracted ones do not count): one query per season in question."""
    found = set()
    for season in in_season:
        for (org,) in session.execute(select(Activity.org).distinct().where(
                Activity.activity_type == season.campaign, Activity.retracted.is_(False), Activity.org.in_(orgs),
                Activity.start_date >= season.starts, Activity.start_date <= season.ends)):
            found.add((org, season.campaign, season.year))
    return found


def _records(session: Session, orgs: list[str]) -> dict[duty_rules.DutyKey, DutyRecord]:
    return {duty_rules.DutyKey(r.org, r.period, r.campaign): r
            for r in session.scalars(select(DutyRecord).where(DutyRecord.org.in_(orgs)))}


def _new_record(session: Session, key: duty_rules.DutyKey) -> DutyRecord:
    record = DutyRecord(org=key.org, period=key.period, campaign=key.campaign, sequence=0)
    session.add(record)
    return record
