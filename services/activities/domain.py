"""What a department reports, and the rules it must follow (no bus, no database here)."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from libs.common.bounds import Code, CodeList, Day, Quantities, text
from libs.common.plan.schema import Plan
from libs.common.target_groups import TargetGroup

REASON_MAX = 500


class ActivityReport(BaseModel):
    """One activity as a department system sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    activity_type: Code
    title: text(300) = ""
    external_id: text(128, min_length=1) | None = Field(None, description="The sender's id, for safe retries.")
    town: Code | None = None
    target_group: TargetGroup | None = None
    co_organisers: CodeList = []
    start_date: Day
    end_date: Day | None = None
    quantities: Quantities

    @field_validator("end_date")
    @classmethod
    def _not_before_start(cls, end: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("start_date")
        if end is not None and start is not None and end < start:
            raise ValueError(f"{end} is before start_date {start}")
        return end

    @model_validator(mode="after")
    def _default_end(self) -> "ActivityReport":
        if self.end_date is None:
            self.end_date = self.start_date
        return self


def check_against_plan(report: ActivityReport, plan: Plan, today: dt.date) -> list[tuple[str, str]]:
    """Problems (field, message) with a report that only the plan and the clock can tell."""
    problems: list[tuple[str, str]] = []
    types = {t.code: t for t in plan.activity_types}
    atype = types.get(report.activity_type)
    if atype is None:
        problems.append(("activity_type", f"unknown activity type {report.activity_type!r}; "
                         f"the plan declares: {', '.join(sorted(types))}"))
    else:
        for key in report.quantities:
            if key not in atype.quantities:
                problems.append((f"quantities.{key}", f"{atype.name} ({atype.code}) does not carry {key!r}; "
                                 f"it carries: {', '.join(atype.quantities)}"))
        problems += plan.quantity_problems({k: v for k, v in report.quantities.items() if k in atype.quantities})
    period = plan.meta.period
    days = {"start_date": report.start_date, "end_date": report.end_date}
    if report.end_date == report.start_date:
        del days["end_date"]  # one problem, not two, for a one-day activity
    for field, day in days.items():
        if not period.first_day <= day <= period.last_day:
            problems.append((field, f"{day} is outside the plan period {period.start}-{period.end}"))
    if report.start_date > today:
        problems.append(("start_date", f"{report.start_date} is in the future (today is {today}); "
                         "report an activity once it has taken place"))
    return problems


def check_orgs(report: ActivityReport, kinds: dict[str, str]) -> list[tuple[str, str]]:
    """Problems with the town and co-organisers, given the kinds of the organisations that exist."""
    problems = []
    if report.town and kinds.get(report.town) != "town":
        problems.append(("town", f"{report.town!r} is not a registered town; operators register towns with "
                         "`kepu org register CODE NAME --kind town`"))
    for i, code in enumerate(report.co_organisers):
        if code not in kinds:
            problems.append((f"co_organisers.{i}", f"{code!r} is not a known organisation"))
    return problems


def referenced_orgs(report: ActivityReport) -> list[str]:
    return [c for c in (report.town, *report.co_organisers) if c]


def comparable(report: ActivityReport) -> dict:
    """The reported content, to tell a retry (same content) from a conflicting reuse of an id."""
    return {"activity_type": report.activity_type, "title": report.title, "town": report.town,
            "target_group": report.target_group, "co_organisers": list(report.co_organisers),
            "start_date": report.start_date.isoformat(), "end_date": report.end_date.isoformat(),
            "quantities": {k: float(v) for k, v in report.quantities.items()}}


def same_content(stored: dict, report: ActivityReport) -> bool:
    """Whether a stored activity (as ``ActivityView`` fields) already holds this content."""
    resent = comparable(report)
    return {k: stored[k] for k in resent} == resent


Outcome = Literal["created", "unchanged", "corrected", "invalid", "conflict"]


def outcome_for(stored: dict | None, report: ActivityReport, correct_changed: bool) -> Outcome:
    """What a (re)sent report does: a new activity, nothing (a retry), a correction or a conflict.

    A retracted activity is never revived by a resend: that is a conflict, so a deleted row in a
    spreadsheet that comes back is noticed instead of silently counted again.
    """
    if stored is None:
        return "created"
    if stored["retracted"]:
        return "conflict"
    if same_content(stored, report):
        return "unchanged"
    return "corrected" if correct_changed else "conflict"


def conflict_message(external_id: str, activity_id: str, retracted: bool) -> str:
    if retracted:
        return (f"{external_id!r} belongs to activity {activity_id}, which was retracted; "
                "use a new external_id to report it again")
    return (f"{external_id!r} was already used for activity {activity_id} with other content; use a new "
            "external_id for a new activity, or CorrectActivity to change that one")


def new_activity_id() -> str:
    return uuid.uuid4().hex
