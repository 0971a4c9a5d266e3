"""Concurrent single reports of one caller travel together; each call gets its own answer."""
from __future__ import annotations

import threading
import time

import pytest

from libs.common.access import Caller
from services.gateway.grouping import ReportGroups

CAST = Caller(org="cast", org_kind="body", role="reporter", token_id=1)
EDU = Caller(org="edu", org_kind="department", role="reporter", token_id=2)


class Service:
    """Stands in for the activities service (the real one is tested on the broker): answers each
    report with its own number after a pause, and records the groups it was sent."""

    def __init__(self, pause: float = 0.05, fail: Exception | None = None):
        self.pause, self.fail, self.groups = pause, fail, []

    def send(self, caller: Caller, reports: list[dict], deadline: float) -> list[dict]:
        self.groups.append((caller.org, [r["n"] for r in reports], deadline))
        time.sleep(self.pause)
        if self.fail:
            raise self.fail
        return [{"n": r["n"], "org": caller.org} for r in reports]


def run_concurrently(groups: ReportGroups, calls: list[tuple[Caller, int]]) -> dict:
    answers: dict = {}

    def one(caller: Caller, n: int) -> None:
        try:
            answers[n] = groups.report(caller, {"n": n}, deadline=100.0 + n)
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            answers[n] = exc

    threads = [threading.Thread(target=one, args=call) for call in calls]
    for t in threads:
        t.start()
        time.sleep(0.001)
    for t in threads:
        t.join(timeout=10)
    return answers


def test_a_lone_call_goes_at_once_and_alone():
    service = Service(pause=0)
    assert ReportGroups(service.send).report(CAST, {"n": 7}, deadline=5.0) == {"n": 7, "org": "cast"}
    assert service.groups == [("cast", [7], 5.0)]


def test_calls_arriving_meanwhile_go_together_and_each_gets_its_own_answer():
    service = Service()
    answers = run_concurrently(ReportGroups(service.send), [(CAST, n) for n in range(16)])
    assert answers == {n: {"n": n, "org": "cast"} for n in range(16)}
    assert sorted(n for _, group, _ in service.groups for n in group) == list(range(16))
    assert len(service.groups) < 16 and service.groups[0][1] == [0]
    assert all(deadline == 100.0 + max(group) for _, group, deadline in service.groups)  # the latest one


def test_callers_never_share_a_group():
    service = Service()
    answers = run_concurrently(ReportGroups(service.send), [(CAST if n % 2 else EDU, n) for n in range(12)])
    assert all(a["org"] == ("cast" if n % 2 else "edu") for n, a in answers.items())
    assert all(len({n % 2 for n in group}) == 1 for _, group, _ in service.groups)


def test_a_failed_group_fails_each_of_its_calls_and_the_lane_goes_on():
    groups = ReportGroups(Service(fail=ConnectionError("broker gone")).send)
    answers = run_concurrently(groups, [(CAST, n) for n in range(5)])
    assert all(isinstance(a, ConnectionError) for a in answers.values())
    groups._send = Service(pause=0).send
    assert groups.report(CAST, {"n": 9}, deadline=1.0) == {"n": 9, "org": "cast"}


def test_groups_are_capped():
    service = Service()
    run_concurrently(ReportGroups(service.send, max_group=3), [(CAST, n) for n in range(10)])
    assert max(len(group) for _, group, _ in service.groups) <= 3


@pytest.mark.parametrize("answers", [[], [{"n": 1}, {"n": 2}]])
def test_a_wrong_number_of_answers_is_an_error_for_the_group_not_a_hang(answers):
    groups = ReportGroups(lambda caller, reports, deadline: answers)
    with pytest.raises(RuntimeError, match="answers for a group of 1"):
        groups.report(CAST, {"n": 1}, deadline=1.0)
