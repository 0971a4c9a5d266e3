"""What a department reports, and the rules it must follow (no bus, no database here)."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from libs.common.contracts.activity import ActivityContent, ActivityReport
from libs.common.errors import Violation, Violations
from libs.common.plan.schema import Plan


def check_against_plan(report: ActivityReport, plan: Plan, today: dt.date) -> Violations:
    """What is wrong with a report that only the plan and the clock can tell."""
    problems: Violations = []
    types = {t.code: t for t in plan.activity_types}
    atype = types.get(report.activity_type)
    if atype is None:
        problems.append(Violation("activity_type", "unknown_activity_type",
                                  f"unknown activity type {report.activity_type!r}; "
                                  f"the plan declares: {', '.join(sorted(types))}"))
    else:
        for key in report.quantities:
            if key not in atype.quantities:
                problems.append(Violation(f"quantities.{key}", "quantity_not_carried",
                                          f"{atype.name} ({atype.code}) does not carry {key!r}; "
                                          f"it carries: {', '.join(atype.quantities)}"))
        carried = {k: v for k, v in report.quantities.items() if k in atype.quantities}
        problems += [Violation(field, "quantity_out_of_bounds", why)
                     for field, why in plan.quantity_problems(carried)]
    period = plan.meta.period
    days = {"start_date": report.start_date, "end_date": report.end_date}
    if report.end_date == report.start_date:
        del days["end_date"]  # one problem, not two, for a one-day activity
    for field, day in days.items():
        if not period.first_day <= day <= period.last_day:
            problems.append(Violation(field, "outside_plan_period",
                                      f"{day} is outside the plan period {period.start}-{period.end}"))
    if report.start_date > today:
        problems.append(Violation("start_date", "in_future", f"{report.start_date} is in the future (today is "
                                  f"{today}); report an activity once it has taken place"))
    elif report.end_date > today:
        problems.append(Violation("end_date", "in_future", f"{report.end_date} is in the future (today is "
                                  f"{today}); report an activity once it has ended, or give the days it has run"))
    return problems


# what cannot co-organise an activity: the region as a whole, and the category of the towns
NOT_ORGANISERS = frozenset({"county", "city", "province", "national", "town_category"})


def check_orgs(report: ActivityReport, kinds: dict[str, str], reporter: str) -> Violations:
    """What is wrong with the town and co-organisers, given the kinds of the organisations that
    exist: a town must be a registered town; a co-organiser another real organisation that can
    organise something (not the reporter itself, the region, or "各镇（园区）")."""
    problems = []
    if report.town and kinds.get(report.town) != "town":
        problems.append(Violation("town", "unknown_town", f"{report.town!r} is not a registered town; operators "
                                  "register towns with `kepu org register CODE NAME --kind town`"))
    for i, code in enumerate(report.co_organisers):
        field = f"co_organisers.{i}"
        if code not in kinds:
            problems.append(Violation(field, "unknown_organisation", f"{code!r} is not a known organisation"))
        elif code == reporter:
            problems.append(Violation(field, "self", f"{code!r} is the reporting organisation itself; list only "
                                      "the others that organised it"))
        elif kinds[code] in NOT_ORGANISERS:
            problems.append(Violation(field, "not_an_organiser", f"{code!r} is a {kinds[code]}, not an organisation "
                                      "that can co-organise; name the department, body or town"))
    return problems


def referenced_orgs(report: ActivityReport) -> list[str]:
    return [c for c in (report.town, *report.co_organisers) if c]


Outcome = Literal["created", "unchanged", "corrected", "invalid", "conflict"]


def outcome_for(stored: ActivityContent | None, retracted: bool, report: ActivityReport,
                correct_changed: bool) -> Outcome:
    """What a (re)sent report does: a new activity, nothing (a retry), a correction or a conflict.

    ``stored`` is what the report's external_id holds already (None: nothing). A retracted
    activity is never revived by a resend: that is a conflict, so a deleted row in a spreadsheet
    that comes back is noticed instead of silently counted again.
    """
    if stored is None:
        return "created"
    if retracted:
        return "conflict"
    if stored.content() == report.content():
        return "unchanged"
    return "corrected" if correct_changed else "conflict"


def conflict(external_id: str, activity_id: str, retracted: bool) -> Violation:
    if retracted:
        return Violation("external_id", "external_id_retracted",
                         f"{external_id!r} belongs to activity {activity_id}, which was retracted; "
                         "use a new external_id to report it again")
    return Violation("external_id", "external_id_reused",
                     f"{external_id!r} was already used for activity {activity_id} with other content; use a new "
                     "external_id for a new activity, or CorrectActivity to change that one")


def new_activity_id() -> str:
    return uuid.uuid4().hex
