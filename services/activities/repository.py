"""Rows of the activities service: look-ups, the listing order, the copy of the organisations,
and staging a change with its audit entry and its outbox event (committed together by the
caller's unit of work)."""
from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, extract, func, insert, or_, select
from sqlalchemy.orm import Session

from libs.common.access import Caller
from libs.common.bounds import parse_day
from libs.common.contracts.activity import ActivityFacts, ActivityRecord
from libs.common.db import chunks
from libs.common.events import ActivitiesRecorded, ActivityRecorded, OrganisationChanged, make_envelope
from libs.common.outbox import add_to_outbox
from services.activities.models import Activity, ActivityAudit, KnownOrganisation, OutboxEvent


def by_external_ids(session: Session, org: str, external_ids: list[str]) -> dict[str, Activity]:
    """The stored activities of ``org`` with these external ids, in a few queries for a whole batch."""
    found: dict[str, Activity] = {}
    for chunk in chunks(list(dict.fromkeys(external_ids))):
        found |= {a.external_id: a for a in session.scalars(
            select(Activity).where(Activity.org == org, Activity.external_id.in_(chunk)))}
    return found


def org_kinds(session: Session, codes: list[str]) -> dict[str, str]:
    """The kind of each named organisation in activities' copy (unknown ones are left out)."""
    return dict(session.execute(select(KnownOrganisation.code, KnownOrganisation.kind)
                                .where(KnownOrganisation.code.in_(codes))).all())


def org_regions(session: Session, codes: list[str]) -> dict[str, str]:
    """The region of each named organisation in activities' copy that has one."""
    return {code: region for code, region in session.execute(
        select(KnownOrganisation.code, KnownOrganisation.region).where(KnownOrganisation.code.in_(codes)))
        if region}


def knows_organisations(session: Session) -> bool:
    return session.scalar(select(KnownOrganisation.code).limit(1)) is not None


def upsert_organisation(session: Session, changed: OrganisationChanged) -> bool:
    """Store an organisation's latest state; an older or repeated event changes nothing.
    Returns whether it changed the copy."""
    row = session.get(KnownOrganisation, changed.code)
    if row is not None and row.changed_at >= changed.changed_at:
        return False
    fields = {"name": changed.name, "kind": changed.kind, "parent": changed.parent, "region": changed.region,
              "changed_at": changed.changed_at}
    if row is None:
        session.add(KnownOrganisation(code=changed.code, **fields))
    else:
        for name, value in fields.items():
            setattr(row, name, value)
    return True


def event_of(activity: Activity) -> ActivityRecorded:
    """The event every revision publishes: the facts as they stand now, or the retraction."""
    return ActivityRecorded.model_validate(
        {name: getattr(activity, name) for name in ActivityFacts.model_fields}
        | {"activity_id": activity.id, "revision": activity.revision, "retracted": activity.retracted,
           "org": activity.org, "region": activity.region})


def stage_changes(session: Session, source: str, changes: list[tuple[Activity, str, str | None]],
                  caller: Caller, at: dt.datetime) -> None:
    """Stage an audit entry per change, recorded ``at`` (the clock's moment), and one event for them
    all, beside the changes themselves (one transaction): ``activity_recorded`` for one,
    ``activities_recorded`` for a batch."""
    if not changes:
        return
    who = caller.audit_fields()
    # a bulk insert (no objects, no ids to read back): after the activities it refers to, which
    # the session flushes first
    session.execute(insert(ActivityAudit), [
        {"activity_id": activity.id, "revision": activity.revision, "action": action, "reason": reason, "at": at,
         "snapshot": ActivityRecord.model_validate(activity).rpc(), **who}
        for activity, action, reason in changes])
    events = [event_of(activity) for activity, _, _ in changes]
    payload = events[0] if len(events) == 1 else ActivitiesRecorded(activities=events)
    add_to_outbox(session, OutboxEvent, make_envelope(source, payload))


def stage_change(session: Session, source: str, activity: Activity, action: str, caller: Caller,
                 at: dt.datetime, reason: str | None = None) -> None:
    stage_changes(session, source, [(activity, action, reason)], caller, at)


def every_activity(session: Session, page_size: int = 2000) -> Iterator[list[Activity]]:
    """Every stored activity (retracted ones too), in pages by id, each page read afresh."""
    after = ""
    while page := list(session.scalars(select(Activity).where(Activity.id > after).order_by(Activity.id)
                                       .limit(page_size))):
        session.expunge_all()  # detached, with their loaded columns: memory stays flat,
        session.rollback()  # and no transaction stays open while the page is published
        yield page
        after = page[-1].id


def revisions_known_at(session: Session, at: dt.datetime) -> list[ActivityRecorded]:
    """Each revision recorded by ``at`` (its audit snapshot), as the event that carried it, in the
    order they were recorded."""
    fields = ActivityRecorded.model_fields
    rows = session.execute(select(ActivityAudit.snapshot, Activity.region)
                           .join(Activity, Activity.id == ActivityAudit.activity_id)
                           .where(ActivityAudit.at <= at).order_by(ActivityAudit.id))
    return [ActivityRecorded.model_validate({k: v for k, v in s.items() if k in fields} | {"region": region})
            for s, region in rows]


def history(session: Session, activity_id: str) -> list[ActivityAudit]:
    return list(session.scalars(
        select(ActivityAudit).where(ActivityAudit.activity_id == activity_id).order_by(ActivityAudit.id)))


@dataclass(frozen=True)
class ListFilter:
    activity_type: str | None = None
    start_from: dt.date | None = None
    start_to: dt.date | None = None
    town: str | None = None
    org: str | None = None
    include_retracted: bool = False


def in_regions(regions: Collection[str] | None, with_unmarked: bool) -> ColumnElement[bool] | None:
    """Activities reported in these regions (None: anywhere); ``with_unmarked``: also those from
    before regions, which belong to the top region."""
    if regions is None:
        return None
    inside = Activity.region.in_(list(regions))
    return or_(inside, Activity.region.is_(None)) if with_unmarked else inside


def listing(caller: Caller, f: ListFilter, reach: ColumnElement[bool] | None = None) -> Select:
    """Activities the caller may read, filtered, newest start date first (ties by id); an admin's
    within ``reach`` (``in_regions``: its region and those below)."""
    query = select(Activity).order_by(Activity.start_date.desc(), Activity.id.desc())
    if caller.is_admin and reach is not None:
        query = query.where(reach)
    if not caller.is_admin:
        own = Activity.org == caller.org
        query = query.where(or_(own, Activity.town == caller.org) if caller.is_town else own)
    conditions = [
        (f.activity_type, lambda: Activity.activity_type == f.activity_type),
        (f.start_from, lambda: Activity.start_date >= f.start_from),
        (f.start_to, lambda: Activity.start_date <= f.start_to),
        (f.town, lambda: Activity.town == f.town),
        (f.org, lambda: Activity.org == f.org),
        (not f.include_retracted, lambda: Activity.retracted.is_(False)),
    ]
    return query.where(*(make() for wanted, make in conditions if wanted))


def encode_cursor(activity: Activity) -> str:
    raw = json.dumps([activity.start_date.isoformat(), activity.id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def after_cursor(query: Select, token: str) -> Select:
    """Keyset pagination: rows strictly after the last one of the previous page. ValueError if
    the token is not one of ours."""
    try:
        day, activity_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        day = parse_day(day)
    except (ValueError, TypeError) as exc:
        raise ValueError("不是 ListActivities 给出的翻页标记；请不带 page_token 从第一页重新开始") from exc
    return query.where(or_(Activity.start_date < day, and_(Activity.start_date == day, Activity.id < activity_id)))


def town_totals(session: Session) -> list[tuple[str, int, int, float]]:
    """(town, start year, activities, participants) of the activities held in a town and not
    retracted: one GROUP BY, the JSON quantity read by the database (SQLite and PostgreSQL)."""
    year = extract("year", Activity.start_date)
    participants = func.sum(func.coalesce(Activity.quantities["participants"].as_float(), 0.0))
    return [tuple(row) for row in session.execute(
        select(Activity.town, year, func.count(), participants)
        .where(Activity.town.is_not(None), Activity.retracted.is_(False))
        .group_by(Activity.town, year))]
