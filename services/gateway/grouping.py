"""Concurrent single reports of one caller go to the activities service together (group commit).

Each ``ReportActivity`` call used to be one RPC, one transaction and one event. Under load the
bus round trip and the commit dominated (`make bench`, single reports from 16 clients). Here
the first call of a caller is sent at once, alone, so an idle system answers as fast as before;
calls of the same caller that arrive while it is on its way wait and go together as the next
group: one RPC, one transaction, one event, each call still getting its own answer. A caller is
one token or one person's session, since the activities service audits which token (and which
person) wrote.

Leader and followers: the call that finds its caller's lane idle sends a group, answers its
members, and hands the lane to the first call still waiting, which sends the next group.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from libs.common.access import Caller

MAX_GROUP = 200  # reports per group at most (the activities service takes up to 1,000)

Send = Callable[[Caller, list[dict], float], list[dict]]


@dataclass(eq=False)
class _Call:
    report: dict
    deadline: float
    wake: threading.Event = field(default_factory=threading.Event)
    leads: bool = False
    answered: bool = False
    answer: dict | None = None
    error: BaseException | None = None


@dataclass(eq=False)
class _Lane:
    waiting: list[_Call] = field(default_factory=list)
    busy: bool = False


class ReportGroups:
    """``report(caller, report, deadline)``: the activities service's answer for this one report."""

    def __init__(self, send: Send, max_group: int = MAX_GROUP):
        """``send(caller, reports, deadline)`` answers a group, one answer per report, in order."""
        self._send = send
        self._max = max_group
        self._lock = threading.Lock()
        self._lanes: dict[tuple, _Lane] = {}

    def report(self, caller: Caller, report: dict, deadline: float) -> dict:
        key = (caller.credential, caller.org, caller.role)  # a person's session is a lane of its own
        mine = _Call(report, deadline)
        with self._lock:
            lane = self._lanes.setdefault(key, _Lane())
            lane.waiting.append(mine)
            if not lane.busy:
                lane.busy = mine.leads = True
        while not mine.answered:
            if mine.leads:
                mine.leads = False
                self._lead(caller, key, lane)
                continue
            mine.wake.wait()
            mine.wake.clear()
        if mine.error is not None:
            raise mine.error
        return mine.answer

    def _lead(self, caller: Caller, key: tuple, lane: _Lane) -> None:
        with self._lock:
            group, lane.waiting[:] = lane.waiting[:self._max], lane.waiting[self._max:]
        answers, error = [None] * len(group), None
        try:
            # the latest deadline of the group: an early one must not refuse the others' reports
            # (a caller that gave up resends with the same external_id, which is applied once)
            got = self._send(caller, [c.report for c in group], max(c.deadline for c in group))
            if len(got) != len(group):
                raise RuntimeError(f"{len(got)} answers for a group of {len(group)} reports")
            answers = got
        except BaseException as exc:  # noqa: BLE001 - every call of the group raises it
            error = exc
        for call, answer in zip(group, answers, strict=True):
            call.answer, call.error, call.answered = answer, error, True
            call.wake.set()
        with self._lock:
            if lane.waiting:
                successor = lane.waiting[0]
                successor.leads = True
                successor.wake.set()
            else:
                lane.busy = False
                del self._lanes[key]
