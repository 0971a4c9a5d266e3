"""Use cases of the activities service: report (one or a batch), correct, retract, read.

Each takes the database session as its unit of work (the use case commits it, nobody else),
the caller (from the gateway's token check), the plan and today's date. What activities knows of
organisations is its own copy, fed by organisations' events (``apply_organisation``), so a
report never waits on another service. Nothing here knows nameko; the service wires these to
RPC methods and event handlers. Refusals are data: ``Violation`` lists, never text.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from libs.common.access import Caller
from libs.common.bounds import control_name, parse_day
from libs.common.contracts.activity import REASON_MAX, ActivityRecord, ActivityReport
from libs.common.errors import (
    BadRequest,
    Conflict,
    Locked,
    NotFound,
    PermissionDenied,
    Refusal,
    StaleRevision,
    Violation,
    Violations,
    clip,
    describe,
)
from libs.common.events import (
    Envelope,
    OrganisationChanged,
    RebuildReplayed,
    ReferenceRequested,
    make_envelope,
    replay_event_id,
)
from libs.common.outbox import add_to_outbox
from libs.common.plan.atlas import Atlas
from libs.common.plan.duties import duty_of
from libs.common.plan.schema import Duty, Plan
from services.activities import access, domain, periods, repository
from services.activities.models import Activity, OutboxEvent
from services.activities.schemas import ActivityPage, AuditEntryView, BatchResult, GroupAnswer, RowResult

SOURCE = "activities"
MAX_BATCH = 1000
MAX_PAGE = 1000


@dataclass
class Context:
    """What every use case needs besides its arguments."""

    session: Session
    atlas: Atlas
    today: dt.date
    # the moment a change is recorded (the clock's: on a frozen date, that date), what an as-of read cuts at
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    _regions: dict[str, str] = field(default_factory=dict)

    def region(self, org: str) -> str:
        """An organisation's region: as organisations said (``organisation_changed``), else as the
        plans name it, else the top region (a system from before regions has only that one)."""
        return self.regions_of([org])[org]

    def regions_of(self, orgs: list[str]) -> dict[str, str]:
        """``region`` of each of ``orgs``, those not looked up before in one query."""
        if missing := [org for org in orgs if org not in self._regions]:
            known = repository.org_regions(self.session, missing)
            self._regions |= {org: known.get(org) or self.atlas.region_of(org) or self.atlas.first_region
                              for org in missing}
        return {org: self._regions[org] for org in orgs}

    def caller_region(self, caller: Caller) -> str:
        return caller.region if caller.region in self.atlas.regions else self.region(caller.org)

    def reach(self, caller: Caller) -> list[str] | None:
        """The regions an admin reads and changes: its own and those below (None: every one, in a
        system of one region)."""
        return None if self.atlas.single else self.atlas.subtree(self.caller_region(caller))

    def reaches(self, caller: Caller, org: str) -> bool:
        """Whether ``org`` is within the caller's reach (an office: its region and those below)."""
        reach = self.reach(caller)
        return reach is None or self.region(org) in reach

    def reach_filter(self, caller: Caller):
        """``reach`` as a condition on activities (those from before regions: the top region's)."""
        reach = self.reach(caller)
        return repository.in_regions(reach, with_unmarked=reach is not None and self.atlas.first_region in reach)

    def plan_for(self, region: str, day: dt.date) -> Plan:
        """The region's plan holding ``day``, else the one it works to today (whose period the
        refusal then names)."""
        return self.atlas.plan_at(region, day) or self.atlas.current(region, self.today)

    def duty(self, org: str, kind: str, year: int) -> Duty | None:
        """``org``'s reporting duty in ``year``, as its region's plan of that year sets it (none
        outside every plan)."""
        plan = self.atlas.plan_of_year(self.region(org), year)
        return duty_of(plan, org, kind) if plan is not None else None


@dataclass
class _Row:
    index: int
    report: ActivityReport | None = None
    problems: Violations = field(default_factory=list)
    outcome: domain.Outcome = "invalid"
    stored: Activity | None = None
    twin: "_Row | None" = None  # an earlier row of the batch with the same external_id and content
    clash: bool = False  # an earlier row of the batch has its external_id with other content
    locked: bool = False  # dated in a period the office approved

    @property
    def refusal(self) -> type[Refusal]:
        """What refuses this row alone: a reused external_id is a conflict, a locked period is
        locked, anything else bad input."""
        return Locked if self.locked else Conflict if self.outcome == "conflict" or self.clash else BadRequest


def validate(ctx: Context, caller: Caller, raw: list[dict]) -> list[_Row]:
    """Parse and check every row; organisation look-ups are made once for the whole batch."""
    rows = []
    for i, item in enumerate(raw):
        row = _Row(i)
        try:
            row.report = ActivityReport.model_validate(item)
        except ValidationError as exc:
            row.problems = describe(exc)
        else:
            plan = ctx.plan_for(ctx.caller_region(caller), row.report.start_date)
            row.problems = domain.check_against_plan(row.report, plan, ctx.today)
            if why := access.town_problem(caller, row.report.town):
                row.problems.append(Violation("town", "outside_own_town", why))
        rows.append(row)
    referenced = sorted({c for r in rows if r.report and not r.problems for c in domain.referenced_orgs(r.report)})
    kinds = repository.org_kinds(ctx.session, referenced) if referenced else {}
    regions = ctx.regions_of(list(kinds))
    for row in rows:
        if row.report and not row.problems:
            row.problems = domain.check_orgs(row.report, kinds, caller.org)
            row.problems += domain.check_town_region(row.report, regions, ctx.caller_region(caller))
    return rows


def decide(ctx: Context, caller: Caller, rows: list[_Row], correct_changed: bool) -> None:
    """What each valid row does, against what is stored and against earlier rows of the batch."""
    keyed = [r for r in rows if not r.problems and r.report.external_id]
    stored = repository.by_external_ids(ctx.session, caller.org, [r.report.external_id for r in keyed])
    first_of: dict[str, _Row] = {}
    for row in rows:
        if row.problems:
            continue
        ext = row.report.external_id
        if ext and ext in first_of:  # the same id twice in one batch
            earlier = first_of[ext]
            if earlier.report and earlier.report.content() == row.report.content():
                row.outcome, row.twin = "unchanged", earlier
            else:
                row.problems = [Violation("external_id", "external_id_repeated",
                                          f"编号「{clip(ext)}」与本批第{earlier.index + 1}条（rows[{earlier.index}]）"
                                          "重复，但内容不同；每个活动用自己的编号")]
                row.clash = True
            continue
        if ext:
            first_of[ext] = row
        existing = stored.get(ext) if ext else None
        record = ActivityRecord.model_validate(existing) if existing else None
        row.outcome = domain.outcome_for(record, bool(existing and existing.retracted), row.report, correct_changed)
        row.stored = existing
        if row.outcome == "conflict":
            row.problems = [domain.conflict(ext, existing.id, existing.retracted)]
    writes = [r for r in rows if not r.problems and r.outcome in ("created", "corrected")]
    approved = periods.approved_periods(ctx.session, caller.org) if writes else {}
    for row in writes:  # a new activity or a correction dated in an approved period (a resend still answers)
        if why := periods.locked_by(approved, lambda year: ctx.duty(caller.org, caller.org_kind, year),
                                    _days(row.report, row.stored)):
            row.problems, row.locked = [why], True
    for row in rows:
        if row.problems and row.outcome != "conflict":
            row.outcome = "invalid"


def _days(report: ActivityReport, stored: Activity | None) -> list[dt.date]:
    """The days a write touches: the report's start, and a corrected activity's former start."""
    return [report.start_date, *([stored.start_date] if stored is not None else [])]


def _stage(ctx: Context, caller: Caller, rows: list[_Row]) -> None:
    changes = []
    for row in rows:
        if row.outcome == "created":
            row.stored = _new_activity(ctx, caller, row.report)
            ctx.session.add(row.stored)
            changes.append((row.stored, "recorded", None))
        elif row.outcome == "corrected":
            _apply_content(row.stored, row.report)
            changes.append((row.stored, "corrected", "re-sent with other content"))
    repository.stage_changes(ctx.session, SOURCE, changes, caller, ctx.now)


def _new_activity(ctx: Context, caller: Caller, report: ActivityReport) -> Activity:
    # created_at set here, not by the database: nothing to read back, so PostgreSQL takes a batch
    # of activities as one pipelined executemany instead of a multi-row INSERT … RETURNING
    return Activity(id=domain.new_activity_id(), org=caller.org, region=ctx.caller_region(caller),
                    external_id=report.external_id, revision=1,
                    retracted=False, created_at=dt.datetime.now(dt.timezone.utc), **report.content().model_dump())


def _apply_content(activity: Activity, report: ActivityReport) -> None:
    for name, value in report.content().model_dump().items():
        setattr(activity, name, value)
    _next_revision(activity)


def _refuse(rows: list[_Row], prefix) -> None:
    """Raise for rows with problems: Conflict when every problem is a reused external_id."""
    failed = [r for r in rows if r.problems]
    if not failed:
        return
    problems = [v.under(prefix(r)) for r in failed for v in r.problems]
    if all(r.outcome == "conflict" for r in failed):
        raise Conflict(problems)
    if all(r.locked for r in failed):
        raise Locked(problems)
    raise BadRequest(problems)


def _decided(ctx: Context, caller: Caller, raw: list[dict], correct_changed: bool) -> list[_Row]:
    rows = validate(ctx, caller, raw)
    decide(ctx, caller, rows, correct_changed)
    return rows


def _store(ctx: Context, caller: Caller, raw: list[dict], correct_changed: bool, refuse) -> list[_Row]:
    """Decide, let ``refuse`` raise, stage and commit. If a concurrent resend of the same
    external_id wins the race for the unique key, decide once more: it is then a resend."""
    for attempt in (1, 2):
        rows = _decided(ctx, caller, raw, correct_changed)
        refuse(rows)
        try:
            _stage(ctx, caller, rows)  # its bulk insert flushes the new activities: the race shows here
            ctx.session.commit()
            return rows
        except IntegrityError:
            ctx.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def report_batch(ctx: Context, caller: Caller, raw: list[dict], skip_invalid: bool = False,
                 validate_only: bool = False, correct_changed: bool = False) -> BatchResult:
    """Store up to ``MAX_BATCH`` reports in one transaction, one audit entry each and one event
    carrying every activity the batch recorded or corrected.

    All or nothing by default: any invalid row (fields named ``rows[i].…``) refuses the batch.
    ``skip_invalid`` stores the valid rows; ``validate_only`` only says what would happen.
    """
    require_writer(caller)
    if not raw or len(raw) > MAX_BATCH:
        raise BadRequest.of("rows", "batch_size", f"一批应有 1 至 {MAX_BATCH} 条，不是 {len(raw)} 条")
    if validate_only:
        rows = _decided(ctx, caller, raw, correct_changed)
        return BatchResult.of([_result(r, show_new=False) for r in rows], dry_run=True)
    refuse = (lambda rows: None) if skip_invalid else (lambda rows: _refuse(rows, lambda r: f"rows[{r.index}]."))
    rows = _store(ctx, caller, raw, correct_changed, refuse)
    return BatchResult.of([_result(r) for r in rows], dry_run=False)


def _result(row: _Row, show_new: bool = True) -> RowResult:
    activity, stored = None, row.twin.stored if row.twin else row.stored
    if stored is not None and (show_new or row.outcome != "created"):
        activity = ActivityRecord.model_validate(stored).rpc()
    return RowResult(index=row.index, outcome=row.outcome, activity=activity, violations=row.problems)


def require_writer(caller: Caller) -> None:
    if not caller.may_write:
        raise PermissionDenied(f"{caller.role} 令牌只能查看；上报、更正和撤回需要 reporter 令牌")


def report_one(ctx: Context, caller: Caller, raw: dict) -> dict:
    """One report: the stored activity and whether it was created (a resend returns it unchanged)."""
    (answer,) = report_group(ctx, caller, [raw])
    return answer.result()


def report_group(ctx: Context, caller: Caller, raw: list[dict]) -> list[GroupAnswer]:
    """Single reports of one caller that arrived together (the gateway groups concurrent calls),
    stored in one transaction with one event. Each gets what ``report_one`` would answer: the
    stored activity and whether it was created, or the refusal (``BadRequest`` or ``Conflict``)
    with its violations."""
    require_writer(caller)
    if not raw or len(raw) > MAX_BATCH:
        raise BadRequest.of("reports", "batch_size", f"一组应有 1 至 {MAX_BATCH} 条，不是 {len(raw)} 条")
    answers = []
    for row in _store(ctx, caller, raw, False, lambda rows: None):
        if row.problems:
            answers.append(GroupAnswer(refusal=row.refusal.__name__, violations=row.problems))
        else:
            stored = row.twin.stored if row.twin else row.stored
            answers.append(GroupAnswer(activity=ActivityRecord.model_validate(stored).rpc(),
                                       created=row.outcome == "created"))
    return answers


def _changeable(ctx: Context, caller: Caller, activity_id: str) -> Activity:
    activity = ctx.session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(f"activity_id: 没有活动「{clip(activity_id)}」")
    if not access.may_change_activity(caller, activity.org) or not ctx.reaches(caller, activity.org):
        raise PermissionDenied(f"活动 {activity_id} 由「{activity.org}」上报，只有该单位或科协管理员可以修改"
                               f"（你是「{caller.org}」，{caller.role}）")
    return activity


def _require_revision(activity: Activity, revision: int) -> None:
    """A change names the revision it replaces (0: whatever is current), so none is lost."""
    if revision and revision != activity.revision:
        raise StaleRevision(f"revision: 活动 {activity.id} 现在是第{activity.revision}版，不是第{revision}版；"
                            "请重新读取（GetActivity），按当前版本再提交修改")


def _next_revision(activity: Activity) -> None:
    activity.revision += 1
    activity.updated_at = dt.datetime.now(dt.timezone.utc)


def _reason(reason: str, required: bool) -> str | None:
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise BadRequest.of("reason", "string_too_long", f"不能超过{REASON_MAX}个字符（现有{len(reason)}个）")
    if not reason.isprintable():
        bad = next(c for c in reason if not c.isprintable())
        raise BadRequest.of("reason", "not_printable", f"含有{control_name(bad)}；请写成一行可打印的文字")
    if required and not reason:
        raise BadRequest.of("reason", "missing", "请说明撤回原因（会记入审计记录）")
    return reason or None


def correct(ctx: Context, caller: Caller, activity_id: str, revision: int, content: dict,
            reason: str = "") -> tuple[dict, bool]:
    """A new revision with the full new content; resending the same correction changes nothing.
    Returns the activity and whether it changed."""
    why = _reason(reason, required=False)
    activity = _changeable(ctx, caller, activity_id)
    (row,) = validate(ctx, caller, [{**content, "external_id": content.get("external_id") or activity.external_id}])
    if row.problems:
        raise BadRequest([v.under("content.") for v in row.problems])
    if activity.retracted:
        raise BadRequest.of("activity_id", "retracted", f"活动 {activity_id} 已撤回，不能更正；请重新上报")
    current = ActivityRecord.model_validate(activity)
    if current.content() == row.report.content():
        return current.rpc(), False  # a retried correction: already applied
    if not revision:
        raise BadRequest.of("revision", "missing", "请给出要更正的版本号（GetActivity 可查看）")
    _require_revision(activity, revision)
    if row.report.external_id != activity.external_id:
        raise BadRequest.of("content.external_id", "immutable",
                            f"编号不能更改，仍为「{activity.external_id}」")
    _unlocked(ctx, activity, [row.report.start_date, activity.start_date])
    _apply_content(activity, row.report)
    repository.stage_change(ctx.session, SOURCE, activity, "corrected", caller, ctx.now, why)
    ctx.session.commit()
    return ActivityRecord.model_validate(activity).rpc(), True


def retract(ctx: Context, caller: Caller, activity_id: str, revision: int, reason: str) -> tuple[dict, bool]:
    """The activity stops counting anywhere; retracting it again changes nothing.
    Returns the activity and whether it changed."""
    why = _reason(reason, required=True)
    activity = _changeable(ctx, caller, activity_id)
    if activity.retracted:
        return ActivityRecord.model_validate(activity).rpc(), False
    _require_revision(activity, revision)
    _unlocked(ctx, activity, [activity.start_date])
    activity.retracted, activity.retract_reason = True, why
    _next_revision(activity)
    repository.stage_change(ctx.session, SOURCE, activity, "retracted", caller, ctx.now, why)
    ctx.session.commit()
    return ActivityRecord.model_validate(activity).rpc(), True


def _unlocked(ctx: Context, activity: Activity, days: list[dt.date]) -> None:
    """Refuse a change of ``activity`` touching an approved period of its organisation (an admin's
    change too: the office reopens the period first, with a reason)."""
    approved = periods.approved_periods(ctx.session, activity.org)
    kind = repository.org_kinds(ctx.session, [activity.org]).get(activity.org, "") if approved else ""
    if why := periods.locked_by(approved, lambda year: ctx.duty(activity.org, kind, year), days):
        raise Locked([why])


def _readable(ctx: Context, caller: Caller, activity_id: str) -> Activity:
    activity = ctx.session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(f"activity_id: 没有活动「{clip(activity_id)}」")
    if not access.may_read_activity(caller, activity.org, activity.town) or not ctx.reaches(caller, activity.org):
        raise PermissionDenied(f"活动 {activity_id} 属于「{activity.org}」；你的令牌只能查看「{caller.org}」的数据")
    return activity


def get(ctx: Context, caller: Caller, activity_id: str) -> dict:
    return ActivityRecord.model_validate(_readable(ctx, caller, activity_id)).rpc()


def history(ctx: Context, caller: Caller, activity_id: str) -> list[dict]:
    _readable(ctx, caller, activity_id)
    return [AuditEntryView.of(row).model_dump() for row in repository.history(ctx.session, activity_id)]


def revisions_known_at(ctx: Context, caller: Caller, at: dt.datetime) -> list[dict]:
    """Every revision of every activity recorded by ``at`` (retractions too), as the events that
    carried them: what the indicators count for the figures known then (``indicators.as_of``).
    The office's read: every organisation's activities."""
    if not caller.is_admin:
        raise PermissionDenied("只有管理员（科协办公室）可以查看某一时刻全县的活动记录")
    reach = ctx.reach(caller)
    return [revision.model_dump(mode="json") for revision in repository.revisions_known_at(ctx.session, at)
            if reach is None or (revision.region or ctx.atlas.first_region) in reach]


def list_page(ctx: Context, caller: Caller, filters: dict, page_size: int = 0, page_token: str = "") -> dict:
    """One page of the activities the caller may read (an admin: anyone's), newest first."""
    size = page_size or 100
    if not 1 <= size <= MAX_PAGE:
        raise BadRequest.of("page_size", "out_of_range", f"应为 1 至 {MAX_PAGE}，或填 0（每页100条）")
    f = repository.ListFilter(
        activity_type=filters.get("activity_type") or None, town=filters.get("town") or None,
        org=filters.get("org") or None, include_retracted=bool(filters.get("include_retracted")),
        start_from=_date(filters, "start_date_from"), start_to=_date(filters, "start_date_to"))
    if f.org and not caller.is_admin and f.org != caller.org:
        raise PermissionDenied(f"org: 你的令牌只能查看「{caller.org}」的活动，不能查看「{clip(f.org)}」的")
    query = repository.listing(caller, f, ctx.reach_filter(caller))
    if page_token:
        try:
            query = repository.after_cursor(query, page_token)
        except ValueError as exc:
            raise BadRequest.of("page_token", "invalid", str(exc)) from None
    found = list(ctx.session.scalars(query.limit(size + 1)))
    page, more = found[:size], len(found) > size
    return ActivityPage(activities=[ActivityRecord.model_validate(a).rpc() for a in page],
                        next_page_token=repository.encode_cursor(page[-1]) if more else "").model_dump()


def _date(filters: dict, name: str) -> dt.date | None:
    value = filters.get(name)
    if not value:
        return None
    try:
        return parse_day(value)
    except ValueError as exc:
        raise BadRequest.of(name, "invalid", str(exc)) from None




def apply_organisations(session: Session, changes: list[OrganisationChanged]) -> int:
    """Keep activities' copy of the organisations: each event upserts one, newest wins, a
    redelivered or older one changes nothing. Returns how many changed."""
    changed = sum(repository.upsert_organisation(session, c) for c in changes)
    session.commit()
    return changed


def known_organisations(session: Session, codes: list[str]) -> dict[str, str]:
    """Which of ``codes`` the copy knows, with their kinds: what an operator waits on after
    registering a town, so that the next report naming it is accepted."""
    return repository.org_kinds(session, codes)


def ask_for_reference(session: Session, now: dt.datetime) -> bool:
    """On a database that knows no organisation yet (a first start, a restore): ask organisations,
    once, to send all of them (``reference_requested``). Returns whether it asked."""
    if repository.knows_organisations(session):
        return False
    add_to_outbox(session, OutboxEvent, make_envelope(SOURCE, ReferenceRequested(service=SOURCE, requested_at=now)))
    session.commit()
    return True


def replay(session: Session, run: str, publish: Callable[[list[Envelope]], None]) -> int:
    """Send the current revision of every activity (retractions too, so a late older event cannot
    revive one) for rebuild ``run``, then the count. Returns the count."""
    count = 0
    for page in repository.every_activity(session):
        publish([make_envelope(SOURCE, repository.event_of(a), event_id=replay_event_id(run, a.id)) for a in page])
        count += len(page)
    publish([make_envelope(SOURCE, RebuildReplayed(run=run, count=count))])
    return count
