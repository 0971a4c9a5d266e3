"""The ledger's batch rules on an in-memory database: each event once, the highest revision of an
activity wins, a late older one changes nothing, a retraction takes its counts away."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from libs.common.events import ActivityRecorded
from libs.common.plan import load_plan
from libs.common.settings import REPO_ROOT
from services.indicators import ledger
from services.indicators.models import Base, WindowState

PLAN = load_plan(REPO_ROOT / "plans" / "dangshan-2021-2025.yaml")
AS_OF = dt.date(2024, 6, 30)


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        yield s


def caravan(activity_id: str, sessions: float, revision: int = 1, retracted: bool = False) -> ActivityRecorded:
    day = dt.date(2024, 5, 1)
    return ActivityRecorded(activity_id=activity_id, revision=revision, retracted=retracted, org="cast",
                            activity_type="caravan_tour", start_date=day, end_date=day,
                            quantities={"sessions": sessions})


def actual(session: Session, scope: str = "dangshan") -> float:
    state = session.get(WindowState, ("caravan-tours", "2024", scope))
    return state.actual if state else 0.0


def test_a_batch_counts_each_event_once_even_when_it_comes_twice(session):
    events = [("e1", [caravan("a1", 2)]), ("e2", [caravan("a2", 3)]), ("e1", [caravan("a1", 2)])]
    ledger.apply_batch(session, PLAN, events, AS_OF)
    ledger.apply_batch(session, PLAN, events[:1], AS_OF)  # redelivered in a later batch
    assert actual(session) == 5 and actual(session, "org:cast") == 5


def test_the_highest_revision_in_a_batch_wins_and_a_late_older_one_is_ignored(session):
    ledger.apply_batch(session, PLAN, [("e3", [caravan("a1", 7, revision=3)]), ("e1", [caravan("a1", 2, revision=1)]),
                                       ("e2", [caravan("a1", 5, revision=2)])], AS_OF)
    assert actual(session) == 7
    ledger.apply_batch(session, PLAN, [("e2b", [caravan("a1", 9, revision=2)])], AS_OF)
    assert actual(session) == 7


def test_a_retraction_takes_the_counts_away_in_every_scope(session):
    ledger.apply_batch(session, PLAN, [("e1", [caravan("a1", 4)]), ("e2", [caravan("a2", 1)])], AS_OF)
    ledger.apply_batch(session, PLAN, [("e3", [caravan("a1", 4, revision=2, retracted=True)])], AS_OF)
    assert actual(session) == 1 and actual(session, "org:cast") == 1


def test_status_changes_carry_a_growing_sequence_per_window(session):
    first, _ = ledger.evaluate_all(session, PLAN, AS_OF)
    caravan_2024 = [c for c in first if (c.indicator, c.window) == ("caravan-tours", "2024")]
    assert [(c.status, c.sequence) for c in caravan_2024] == [("lagging", 1)]
    moved, _ = ledger.apply_batch(session, PLAN, [("e1", [caravan("a1", 10)])], AS_OF)
    assert [(c.status, c.sequence) for c in moved if c.window == "2024"] == [("achieved", 2)]


def test_one_event_of_a_batch_report_counts_every_activity_it_carries_once(session):
    batch = ("b1", [caravan("a1", 1), caravan("a2", 2), caravan("a3", 3)])
    ledger.apply_batch(session, PLAN, [batch, batch], AS_OF)
    ledger.apply_batch(session, PLAN, [batch], AS_OF)
    assert actual(session) == 6


def test_figures_moved_by_deltas_equal_a_fresh_sum(session):
    """Batches move a window by the difference they make; the clock's full re-summing agrees."""
    for round_ in range(1, 4):
        ledger.apply_batch(session, PLAN, [(f"r{round_}-{i}", [caravan(f"a{i}", i + round_, revision=round_)])
                                           for i in range(10)], AS_OF)
    ledger.apply_batch(session, PLAN, [("gone", [caravan("a3", 0, revision=9, retracted=True)])], AS_OF)
    incremental = {s: actual(session, s) for s in ("dangshan", "org:cast")}
    ledger.evaluate_all(session, PLAN, AS_OF)
    assert incremental == {s: actual(session, s) for s in ("dangshan", "org:cast")} == {
        "dangshan": sum(i + 3 for i in range(10) if i != 3), "org:cast": sum(i + 3 for i in range(10) if i != 3)}
