"""Every use case of the indicators service on an in-memory SQLite unit of work, with the
fictional county's plan: counting activity events, refusing invalid ones, judging on the clock,
reloading the plan, reading progress and setting the gauges."""
from __future__ import annotations

import datetime as dt

import pytest
from prometheus_client import REGISTRY
from pydantic import ValidationError

from services.indicators import app
from services.indicators.models import ContributionRow, ProcessedEvent, WindowState
from tests.unit.indicators.fictional import AS_OF, ATLAS, ORG, REGION, edited_plan, event, star_night, stock_plan

BOOTHS = "star-night-booths"


def actual(uow, scope: str = REGION, indicator: str = BOOTHS, window: str = "2024") -> float:
    state = uow.session.get(WindowState, (indicator, window, scope))
    return state.actual if state else 0.0


def count(uow, *bodies: dict, plan=ATLAS, today: dt.date = AS_OF) -> app.Judged:
    return app.count_activities(uow, plan, list(bodies), today)


# --- counting activity events ---------------------------------------------------------------

def test_an_activity_counts_in_the_region_its_organisation_and_its_town(uow):
    count(uow, event("e1", star_night("a1", booths=3, visitors=120, town="town-east")))
    assert [actual(uow, scope) for scope in (REGION, f"org:{ORG}", "town:town-east")] == [3, 3, 3]
    assert actual(uow, indicator="star-night-visitors", window="2024-2026") == 120
    assert actual(uow, indicator="track.star_night.events") == 1


def test_a_batch_counts_each_event_once_even_when_it_comes_twice(uow):
    bodies = [event("e1", star_night("a1", 2)), event("e2", star_night("a2", 3)), event("e1", star_night("a1", 2))]
    count(uow, *bodies)
    count(uow, bodies[0])  # redelivered in a later batch
    assert actual(uow) == 5 and actual(uow, f"org:{ORG}") == 5
    assert uow.session.query(ProcessedEvent).count() == 2


def test_one_event_of_a_batch_report_counts_every_activity_it_carries_once(uow):
    batch = event("b1", star_night("a1", 1), star_night("a2", 2), star_night("a3", 3))
    count(uow, batch, batch)
    count(uow, batch)
    assert actual(uow) == 6


def test_the_highest_revision_wins_and_a_late_older_one_is_ignored(uow):
    count(uow, event("e3", star_night("a1", 7, revision=3)), event("e1", star_night("a1", 2, revision=1)),
          event("e2", star_night("a1", 5, revision=2)))
    assert actual(uow) == 7
    count(uow, event("e2b", star_night("a1", 9, revision=2)))
    assert actual(uow) == 7


def test_a_correction_moves_an_activity_to_another_year(uow):
    count(uow, event("e1", star_night("a1", 4)))
    count(uow, event("e2", star_night("a1", 4, revision=2, day=dt.date(2025, 3, 1))))
    assert actual(uow) == 0 and actual(uow, window="2025") == 4


def test_a_retraction_takes_the_counts_away_in_every_scope(uow):
    count(uow, event("e1", star_night("a1", 4)), event("e2", star_night("a2", 1)))
    count(uow, event("e3", star_night("a1", 4, revision=2, retracted=True)))
    assert actual(uow) == 1 and actual(uow, f"org:{ORG}") == 1
    assert {row.activity_id for row in uow.session.query(ContributionRow)} == {"a2"}


def test_an_activity_outside_the_plan_period_counts_nowhere(uow):
    count(uow, event("e1", star_night("a1", 4, day=dt.date(2027, 1, 5))))
    assert uow.session.query(ContributionRow).count() == 0 and uow.session.query(WindowState).count() == 0


def test_figures_moved_by_deltas_equal_a_fresh_sum(uow):
    """Batches move a window by the difference they make; the clock's full re-summing agrees."""
    for round_ in range(1, 4):
        count(uow, *[event(f"r{round_}-{i}", star_night(f"a{i}", i + round_, revision=round_)) for i in range(10)])
    count(uow, event("gone", star_night("a3", 0, revision=9, retracted=True)))
    incremental = {scope: actual(uow, scope) for scope in (REGION, f"org:{ORG}")}
    app.judge_on_the_clock(uow, ATLAS, AS_OF)
    expected = sum(i + 3 for i in range(10) if i != 3)
    assert incremental == {scope: actual(uow, scope) for scope in (REGION, f"org:{ORG}")} == {
        REGION: expected, f"org:{ORG}": expected}


def test_a_breakdown_is_counted_not_judged(uow):
    count(uow, event("e1", star_night("a1", 1, town="town-east")))
    for scope in (f"org:{ORG}", "town:town-east"):
        state = uow.session.get(WindowState, (BOOTHS, "2024", scope))
        assert (state.status, state.actual, state.expected, state.as_of) == ("tracking", 1, 0.0, AS_OF)
    assert {c.scope for c in uow.sent()} == {REGION}


# --- refusing an invalid event --------------------------------------------------------------

def test_an_amount_the_plan_refuses_is_refused_with_the_reason_and_nothing_is_counted(uow):
    forged = event("forged", star_night("a2", booths=1.79e308))
    with pytest.raises(ValueError, match="event forged: activity a2 of qinglan-library .*quantities.booths"):
        count(uow, event("good", star_night("a1", 2)), forged)
    uow.session.rollback()  # what the service's session does when the worker fails
    assert uow.session.query(ProcessedEvent).count() == 0 and actual(uow) == 0
    count(uow, event("good", star_night("a1", 2)))  # the consumer retries the rest one by one
    assert actual(uow) == 2


def test_an_event_that_breaks_its_schema_is_refused_as_invalid(uow):
    broken = event("broken", star_night("a1", 2))
    broken["payload"] = {"activity_id": "a1"}
    with pytest.raises(ValidationError):
        count(uow, broken)


# --- judging on the clock -------------------------------------------------------------------

def test_status_changes_go_out_through_the_outbox_with_a_growing_sequence_per_window(uow):
    assert app.judge_on_the_clock(uow, ATLAS, AS_OF) == 2
    assert [(c.indicator, c.window, c.status, c.sequence) for c in uow.sent()] == [
        (BOOTHS, "2024", "lagging", 1), ("star-night-visitors", "2024-2026", "at_risk", 1)]
    assert uow.wakes == 1
    moved = count(uow, event("e1", star_night("a1", 6)))
    assert [(c.window, c.previous, c.status, c.sequence) for c in moved.changes] == [
        ("2024", "lagging", "achieved", 2)]
    assert [c.status for c in uow.sent()][-1] == "achieved" and uow.wakes == 2
    booths = uow.sent()[-1]
    assert (booths.actual, booths.target, booths.responsible) == (6, 6, ["qinglan-science-association",
                                                                         "qinglan-library"])


def test_a_window_that_has_not_started_is_left_alone_and_quiet_when_first_judged(uow):
    app.judge_on_the_clock(uow, ATLAS, AS_OF)
    assert uow.session.get(WindowState, (BOOTHS, "2025", REGION)) is None
    assert uow.session.get(WindowState, ("steering-meetings", "2025Q1", REGION)) is None
    count(uow, event("early", star_night("a1", 1, day=dt.date(2025, 2, 1))))  # reported ahead of its year
    assert uow.session.get(WindowState, (BOOTHS, "2025", REGION)).status == "not_started"
    assert not any(c.window == "2025" for c in uow.sent())


def test_lag_grows_with_the_clock_alone(uow):
    app.judge_on_the_clock(uow, ATLAS, AS_OF)
    count(uow, event("e1", star_night("a1", 3)))
    assert [c.status for c in uow.sent() if c.indicator == BOOTHS][-1] == "on_track"
    assert app.judge_on_the_clock(uow, ATLAS, dt.date(2024, 7, 1)) == 0  # 3 of 6 by mid-year is on pace
    app.judge_on_the_clock(uow, ATLAS, dt.date(2024, 10, 1))  # 4.5 expected by October
    assert [(c.status, c.as_of) for c in uow.sent() if c.indicator == BOOTHS][-1] == (
        "lagging", dt.date(2024, 10, 1))
    app.judge_on_the_clock(uow, ATLAS, dt.date(2025, 1, 1))  # the year closed below its target
    assert [(c.window, c.status) for c in uow.sent() if c.indicator == BOOTHS][-2:] == [
        ("2024", "missed"), ("2025", "at_risk")]


def test_figures_of_a_lagging_window_are_sent_on_so_alerts_stay_current(uow):
    app.judge_on_the_clock(uow, ATLAS, AS_OF)
    count(uow, event("e1", star_night("a1", 1)))
    update = uow.sent()[-1]
    assert (update.previous, update.status, update.actual, update.sequence) == ("lagging", "lagging", 1, 2)


def test_moving_a_frozen_clock_back_resets_windows_that_have_not_started(uow):
    app.judge_on_the_clock(uow, ATLAS, dt.date(2025, 2, 1))
    app.judge_on_the_clock(uow, ATLAS, AS_OF)
    back = {(c.window, c.status) for c in uow.sent() if c.indicator == BOOTHS and c.as_of == AS_OF}
    assert back == {("2025", "not_started"), ("2024", "lagging")}


def test_a_stock_sums_each_reporters_latest_observation(uow):
    plan = stock_plan("sum_per_reporter")
    count(uow, event("v1", star_night("v1", visitors=15, day=dt.date(2024, 3, 1))),
          event("v2", star_night("v2", visitors=4, org="qinglan-science-association", day=dt.date(2024, 4, 1))),
          event("v3", star_night("v3", visitors=20, day=dt.date(2024, 5, 1))), plan=plan)
    assert actual(uow, indicator="stargazers-registered", window="2024-2026") == 24
    assert actual(uow, f"org:{ORG}", indicator="stargazers-registered", window="2024-2026") == 20


def test_a_stock_counts_its_latest_observation_and_has_no_data_before_the_first(uow):
    plan = stock_plan("latest")
    app.judge_on_the_clock(uow, plan, AS_OF)
    state = uow.session.get(WindowState, ("stargazers-registered", "2024-2026", REGION))
    assert (state.status, state.actual) == ("no_data", 0)
    count(uow, event("v1", star_night("v1", visitors=30, day=dt.date(2024, 5, 1))),
          event("v2", star_night("v2", visitors=12, org="qinglan-science-association", day=dt.date(2024, 3, 1))),
          plan=plan)
    assert actual(uow, indicator="stargazers-registered", window="2024-2026") == 30


# --- the plan -------------------------------------------------------------------------------

def test_reloading_a_plan_with_another_target_judges_again_and_keeps_the_counts(uow):
    count(uow, event("e1", star_night("a1", 2)))
    assert uow.session.get(WindowState, (BOOTHS, "2024", REGION)).status == "at_risk"  # 2 of 2.98 expected
    reloaded = app.reload_plan(uow, lambda: edited_plan("target: 6\n", "target: 2\n"), AS_OF)
    assert reloaded.model_dump() == {"plan": "qinglan-2024-2026", "indicators": 5, "status_changes": 1}
    assert uow.sent()[-1].status == "achieved" and actual(uow) == 2


def test_a_plan_that_does_not_load_changes_nothing(uow):
    def broken():
        raise ValueError("indicators[0].target: must be positive")

    with pytest.raises(ValueError, match="target"):
        app.reload_plan(uow, broken, AS_OF)
    assert uow.sent() == []


def test_windows_of_an_indicator_that_left_the_plan_are_kept_but_not_judged_or_shown(uow):
    count(uow, event("e1", star_night("a1", 2)))
    smaller = edited_plan("  - code: star-night-booths\n", "  - code: star-night-lanterns\n")
    app.judge_on_the_clock(uow, smaller, dt.date(2025, 1, 1))  # the window would be missed by now
    state = uow.session.get(WindowState, (BOOTHS, "2024", REGION))
    assert (state.status, state.actual, state.as_of) == ("at_risk", 2, AS_OF)
    assert not any(r.indicator == BOOTHS for r in app.progress(uow, smaller))


# --- reading progress -----------------------------------------------------------------------

def test_progress_joins_each_window_with_its_indicators_plan_facts(uow):
    count(uow, event("e1", star_night("a1", 2, town="town-east")))
    (row,) = app.progress(uow, ATLAS, BOOTHS, REGION)
    assert row.model_dump() == {
        "indicator": BOOTHS, "name": "观星展位", "kind": "yearly", "unit": "个", "target": 6.0,
        "responsible": ["qinglan-science-association", "qinglan-library"], "window": "2024", "scope": REGION,
        "actual": 2.0, "expected": pytest.approx(2.98, abs=0.01), "status": "at_risk", "as_of": "2024-06-30",
        "region": REGION}
    assert [r.scope for r in app.progress(uow, ATLAS, BOOTHS)] == [f"org:{ORG}", REGION, "town:town-east"]


def test_a_years_progress_shows_the_region_beside_the_breakdowns(uow):
    count(uow, event("e1", star_night("a1", 2, visitors=40, town="town-east")))
    year = app.year_progress(uow, ATLAS, AS_OF, targets_only=True)
    assert year.year == 2024 and [(p.indicator, p.window) for p in year.indicators] == [
        (BOOTHS, "2024"), ("star-night-visitors", "2024-2026")]
    booths = year.indicators[0]
    assert booths.total.actual == 2 and [r.scope for r in booths.by_org] == [f"org:{ORG}"]
    assert [r.scope for r in booths.by_town] == ["town:town-east"] and booths.target == 6
    later = app.year_progress(uow, ATLAS, AS_OF, year=2025, indicator="steering-meetings").model_dump()
    assert [(p["indicator"], p["window"]) for p in later["indicators"]] == [  # that indicator only
        ("steering-meetings", w) for w in ("2025Q1", "2025Q2", "2025Q3", "2025Q4")]
    assert later["indicators"][0]["total"] is None


# --- the gauges -----------------------------------------------------------------------------

def gauge(name: str, **labels) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_the_clock_sets_every_gauge_breakdowns_included(uow):
    count(uow, event("g1", star_night("g1", 3, town="town-gauge")))
    app.judge_on_the_clock(uow, ATLAS, AS_OF, every_gauge=True)
    assert gauge("kepu_indicator_actual", region=REGION, indicator=BOOTHS, window="2024", scope="town:town-gauge") == 3
    assert gauge("kepu_indicator_status_code", region=REGION, indicator=BOOTHS, window="2024", scope=REGION) == 2  # on track
    uow.session.get(WindowState, (BOOTHS, "2024", "town:town-gauge")).actual = 4  # as another replica wrote
    app.show_every_window(uow, ATLAS, AS_OF)
    assert gauge("kepu_indicator_actual", region=REGION, indicator=BOOTHS, window="2024", scope="town:town-gauge") == 4
