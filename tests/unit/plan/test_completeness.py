"""A missing report is not a zero: each period's state, and submitting, approving (locking) and
reopening it (libs/common/plan/completeness.py)."""
from __future__ import annotations

import datetime as dt

import pytest

from libs.common.plan.completeness import (
    STATE_WORDS,
    NotSubmitted,
    PeriodLocked,
    approve,
    check_unlocked,
    expected,
    reads_as_nil,
    reopen,
    state_of,
    submit,
)
from libs.common.plan.duties import deadline, periods
from libs.common.plan.schema import Duty
from libs.common.workdays import china

D = dt.date
QUARTERLY = Duty(every="quarter", due_working_days=10)
Q3 = periods(QUARTERLY, 2025)[2]  # July to September 2025
DUE = deadline(Q3, QUARTERLY, china())  # the National Day holiday pushes it to October 21


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.timezone.utc)


def test_the_quarter_s_deadline_counts_china_s_working_days():
    assert (Q3.key, DUE) == ("2025Q3", D(2025, 10, 21))  # Oct 1-8 off; Saturday Oct 11 is worked


@pytest.mark.parametrize(("today", "submitted", "state"), [
    (D(2025, 9, 15), None, "open"),
    (D(2025, 10, 10), None, "due"),
    (D(2025, 10, 21), None, "due"),  # the deadline itself still counts
    (D(2025, 10, 22), None, "missing"),
    (D(2025, 10, 23), D(2025, 10, 20), "on_time"),
    (D(2025, 11, 3), D(2025, 10, 30), "late"),
])
def test_a_period_is_open_due_missing_or_submitted_on_time_or_late(today, submitted, state):
    submission = submit(None, "women-federation", Q3, False, at(submitted), submitted) if submitted else None
    assert state_of(Q3, DUE, submission, today) == state
    assert STATE_WORDS[state]


def test_a_period_is_expected_only_once_it_has_ended():
    assert not expected(Q3, D(2025, 9, 30)) and expected(Q3, D(2025, 10, 1))


def test_a_nil_report_is_complete_and_an_activity_later_makes_it_an_ordinary_one():
    nil = submit(None, "edu", Q3, True, at(D(2025, 10, 9)), D(2025, 10, 9))
    assert nil.nil and state_of(Q3, DUE, nil, D(2025, 12, 1)) == "on_time"
    assert reads_as_nil(nil, 0) and not reads_as_nil(nil, 1)
    assert not reads_as_nil(None, 0)  # not submitted: no value, not a nil report


def test_submitting_again_keeps_the_first_time():
    first = submit(None, "edu", Q3, True, at(D(2025, 10, 9)), D(2025, 10, 9))
    again = submit(first, "edu", Q3, False, at(D(2025, 11, 9)), D(2025, 11, 9))
    assert again.submitted_at == first.submitted_at and again.nil is False


def test_a_period_cannot_be_submitted_before_it_starts():
    with pytest.raises(ValueError, match="尚未开始"):
        submit(None, "edu", Q3, False, at(D(2025, 6, 30)), D(2025, 6, 30))


def test_approval_locks_and_reopening_with_a_reason_unlocks():
    submitted = submit(None, "edu", Q3, False, at(D(2025, 10, 9)), D(2025, 10, 9))
    approved = approve(submitted, "leading-group-office", at(D(2025, 10, 25)))
    assert approve(approved, "someone-else", at(D(2025, 10, 26))) == approved  # approving again changes nothing
    with pytest.raises(PeriodLocked) as locked:
        check_unlocked(approved)
    assert "2025年第三季度已于2025年10月25日审核锁定" in str(locked.value)
    with pytest.raises(PeriodLocked):
        submit(approved, "edu", Q3, True, at(D(2025, 10, 27)), D(2025, 10, 27))
    with pytest.raises(ValueError, match="原因"):
        reopen(approved, " ")
    reopened = reopen(approved, "补报遗漏的两场活动")
    check_unlocked(reopened)
    assert reopened.submitted_at == submitted.submitted_at


def test_only_a_submitted_period_can_be_approved_and_only_an_approved_one_reopened():
    with pytest.raises(NotSubmitted):
        approve(None, "leading-group-office", at(D(2025, 10, 25)))
    with pytest.raises(NotSubmitted):
        reopen(submit(None, "edu", Q3, False, at(D(2025, 10, 9)), D(2025, 10, 9)), "原因")
