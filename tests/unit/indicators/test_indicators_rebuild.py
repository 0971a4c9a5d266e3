"""`kepu indicators rebuild` as use cases on an in-memory SQLite unit of work: a second store
filled from the activities' replay, live events counted into both, one switch-over."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from libs.common.events import RebuildReplayed, make_envelope, replay_event_id
from services.indicators import app
from services.indicators.models import ContributionRow, RebuildContribution, WindowState
from tests.unit.indicators.fictional import AS_OF, ATLAS, ORG, REGION, event, star_night

NOW = dt.datetime(2024, 6, 30, 12, tzinfo=dt.timezone.utc)
BOOTHS = "star-night-booths"


def replayed(run: str, *activities) -> list[dict]:
    """What the activities service sends for ``run``: each activity under its replay id."""
    return [make_envelope("activities", a, event_id=replay_event_id(run, a.activity_id)).model_dump(mode="json")
            for a in activities]


def replay_end(run: str, count: int) -> dict:
    return make_envelope("activities", RebuildReplayed(run=run, count=count)).model_dump(mode="json")


def actual(uow, scope: str = REGION) -> float:
    state = uow.session.get(WindowState, (BOOTHS, "2024", scope))
    return state.actual if state else 0.0


def test_a_rebuild_mends_a_drifted_store_and_switches_over_once_the_count_is_in(uow):
    app.count_activities(uow, ATLAS, [event("e1", star_night("a1", 2)), event("e2", star_night("a2", 3))], AS_OF)
    uow.session.execute(update(WindowState).values(actual=WindowState.actual + 1000))  # a restore gone wrong
    uow.session.commit()
    run = app.begin_rebuild(uow, NOW)
    part = app.take_replay(uow, ATLAS, replayed(run, star_night("a1", 2)), AS_OF, NOW)
    assert (part.state, part.replayed, part.expected) == ("replaying", 1, None) and actual(uow) == 1005
    done = app.take_replay(uow, ATLAS, [*replayed(run, star_night("a2", 3)), replay_end(run, 2)], AS_OF, NOW)
    assert (done.state, done.replayed, done.expected, done.finished_at) == ("switched", 2, 2, NOW.isoformat())
    assert actual(uow) == 5 and actual(uow, f"org:{ORG}") == 5
    assert uow.session.query(RebuildContribution).count() == 0
    assert app.rebuild_status(uow, run).model_dump() == {
        "run": run, "state": "switched", "expected": 2, "replayed": 2, "status_changes": done.status_changes,
        "started_at": NOW.isoformat(), "finished_at": NOW.isoformat()}


def test_a_status_the_switch_over_moves_is_sent(uow):
    app.judge_on_the_clock(uow, ATLAS, AS_OF)  # booths 2024 lagging with nothing counted
    run = app.begin_rebuild(uow, NOW)
    done = app.take_replay(uow, ATLAS, [*replayed(run, star_night("a1", 6)), replay_end(run, 1)], AS_OF, NOW)
    assert done.status_changes == 1
    assert [(c.window, c.previous, c.status) for c in uow.sent()][-1] == ("2024", "lagging", "achieved")


def test_what_arrives_during_a_rebuild_goes_into_both_stores(uow):
    run = app.begin_rebuild(uow, NOW)
    app.count_activities(uow, ATLAS, [event("live", star_night("a1", 4, revision=2))], AS_OF)
    assert uow.session.query(RebuildContribution).count() == uow.session.query(ContributionRow).count() > 0
    # the replay read revision 1 before the correction: the later revision stands
    app.take_replay(uow, ATLAS, [*replayed(run, star_night("a1", 1)), replay_end(run, 1)], AS_OF, NOW)
    assert actual(uow) == 4


def test_a_newer_rebuild_supersedes_a_running_one_whose_replay_is_then_dropped(uow):
    first = app.begin_rebuild(uow, NOW)
    second = app.begin_rebuild(uow, NOW)
    assert app.rebuild_status(uow, first).state == "superseded"
    stale = app.take_replay(uow, ATLAS, [*replayed(first, star_night("a1", 5)), replay_end(first, 1)], AS_OF, NOW)
    assert (stale.run, stale.state, stale.replayed, stale.expected) == (second, "replaying", 0, None)
    assert uow.session.query(RebuildContribution).count() == 0


def test_a_replay_with_no_rebuild_running_changes_nothing(uow):
    assert app.take_replay(uow, ATLAS, [*replayed("gone", star_night("a1", 5)), replay_end("gone", 1)], AS_OF, NOW) \
        is None
    assert uow.session.query(RebuildContribution).count() == 0 and actual(uow) == 0
    assert app.rebuild_status(uow, "gone") is None


def test_a_replayed_activity_that_comes_twice_is_counted_once(uow):
    run = app.begin_rebuild(uow, NOW)
    app.take_replay(uow, ATLAS, replayed(run, star_night("a1", 2)) * 2, AS_OF, NOW)
    assert app.rebuild_status(uow, run).replayed == 1
    app.take_replay(uow, ATLAS, [*replayed(run, star_night("a1", 2)), replay_end(run, 1)], AS_OF, NOW)
    assert actual(uow) == 2
