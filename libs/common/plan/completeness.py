"""Reporting as a duty (pure: no bus, no database, the clock and calendar as arguments): the state
of one organisation's report for one period, and the rules of submitting, approving (审核, which
locks the period) and reopening it.

A missing report is not a zero: ``PeriodState`` tells "submitted with no activities" (a nil
report, 本期无活动) from "not submitted" (missing once the deadline passed), and nothing here
turns either into a number. Where the submissions are stored and who may call what are the
service's business (this is the groundwork of issue 19; the activities service, which owns
reports and must refuse writes into an approved period, is the natural owner).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Literal

from libs.common.plan.duties import ReportingPeriod, period_label
from libs.common.wording import date_label

# open: the period is still running; due: ended, deadline not passed, nothing submitted yet;
# on_time / late: submitted by / after the deadline; missing: deadline passed, nothing submitted
PeriodState = Literal["open", "due", "on_time", "late", "missing"]
STATE_WORDS: dict[str, str] = {"open": "进行中", "due": "待报送", "on_time": "按时报送", "late": "逾期报送",
                               "missing": "逾期未报送"}


@dataclass(frozen=True)
class Submission:
    """An organisation's report for one period, as stored."""

    org: str
    period: str  # the period's key: "2025Q3"
    submitted_at: dt.datetime
    nil: bool  # 本期无活动: submitted explicitly with no activities
    approved_at: dt.datetime | None = None
    approved_by: str = ""

    @property
    def approved(self) -> bool:
        return self.approved_at is not None


class PeriodLocked(Exception):
    """The period is approved (审核/锁定): nothing dated inside it may change until it is reopened."""

    def __init__(self, submission: Submission):
        self.submission = submission
        when = date_label(submission.approved_at.date()) if submission.approved_at else ""
        super().__init__(f"{period_label(submission.period)}已于{when}审核锁定（审核人：{submission.approved_by}）；"
                         "如需修改，请联系县科协重新打开该期")


class NotSubmitted(Exception):
    """Approving a period that was never submitted."""


def state_of(period: ReportingPeriod, due: dt.date, submission: Submission | None, today: dt.date) -> PeriodState:
    """Where one organisation stands on one period, on ``today`` (the county's date)."""
    if submission is not None:
        return "on_time" if submission.submitted_at.date() <= due else "late"
    if today <= period.end:
        return "open"
    return "due" if today <= due else "missing"


def expected(period: ReportingPeriod, today: dt.date) -> bool:
    """A period's report is expected once the period has ended."""
    return today > period.end


def submit(existing: Submission | None, org: str, period: ReportingPeriod, nil: bool, now: dt.datetime,
           today: dt.date) -> Submission:
    """本期已报送 (or, ``nil``, 本期无活动). Submitting again keeps the first time (on time stays on
    time) and may change nil; an approved period is locked. A period may be submitted from its
    first day on (a department that closed its books early need not wait)."""
    if today < period.start:
        raise ValueError(f"{period_label(period.key)}尚未开始（{date_label(period.start)}起），不能报送")
    if existing is None:
        return Submission(org=org, period=period.key, submitted_at=now, nil=nil)
    if existing.approved:
        raise PeriodLocked(existing)
    return replace(existing, nil=nil)


def reads_as_nil(submission: Submission | None, activities: int) -> bool:
    """本期无活动 holds only while nothing is dated in the period: an activity reported later makes
    it an ordinary submission, and the county reads "reported" rather than "nothing happened".
    Derived when read, so a report never has to write to the period it lands in."""
    return submission is not None and submission.nil and activities == 0


def approve(existing: Submission | None, by: str, now: dt.datetime) -> Submission:
    """审核: the office locks a submitted period; approving it again changes nothing."""
    if existing is None:
        raise NotSubmitted("该期尚未报送，不能审核；请先提醒该单位报送")
    if existing.approved:
        return existing
    return replace(existing, approved_at=now, approved_by=by)


def reopen(existing: Submission | None, reason: str) -> Submission:
    """An admin reopens an approved period (with a reason, for the audit trail): it is submitted
    again but no longer locked."""
    if not reason.strip():
        raise ValueError("重新打开需要填写原因")
    if existing is None or not existing.approved:
        raise NotSubmitted("该期没有审核锁定，无需重新打开")
    return replace(existing, approved_at=None, approved_by="")


def check_unlocked(submission: Submission | None) -> None:
    """Raise ``PeriodLocked`` if a change dated inside this submission's period must be refused."""
    if submission is not None and submission.approved:
        raise PeriodLocked(submission)
