"""Which indicator windows and scopes an activity feeds, read from the plan (not from code)."""
from __future__ import annotations

import datetime as dt

from libs.common.events import ActivityRecorded
from libs.common.plan import load_plan
from libs.common.settings import REPO_ROOT
from services.indicators.counting import contributions

PLAN = load_plan(REPO_ROOT / "plans" / "dangshan-2021-2025.yaml")


def activity(**kw) -> ActivityRecorded:
    base = dict(activity_id="a1", org="cast", activity_type="caravan_tour", start_date=dt.date(2024, 5, 1),
                end_date=dt.date(2024, 5, 1), quantities={"sessions": 3, "participants": 800})
    return ActivityRecorded(**{**base, **kw})


def test_caravan_tour_feeds_its_yearly_indicator_in_every_scope():
    got = {(c.indicator, c.window, c.scope): c.value for c in contributions(PLAN, activity(town="demo-town"))}
    assert got[("caravan-tours", "2024", "dangshan")] == 3
    assert got[("caravan-tours", "2024", "org:cast")] == 3
    assert got[("caravan-tours", "2024", "town:demo-town")] == 3


def test_campaign_day_feeds_tracking_indicators():
    act = activity(activity_type="national_science_day", quantities={"sessions": 3, "participants": 800})
    got = {(c.indicator, c.scope): c.value for c in contributions(PLAN, act) if c.scope == "dangshan"}
    assert got[("track.national_science_day.events", "dangshan")] == 1
    assert got[("track.national_science_day.sessions", "dangshan")] == 3
    assert got[("track.national_science_day.participants", "dangshan")] == 800


def test_retracted_or_out_of_period_activity_contributes_nothing():
    assert contributions(PLAN, activity(retracted=True)) == []
    assert contributions(PLAN, activity(start_date=dt.date(2026, 2, 1))) == []


def test_quarterly_meeting_counts_one_event():
    act = activity(activity_type="leading_group_meeting", org="leading-group-office",
                   start_date=dt.date(2023, 8, 9), quantities={"participants": 30})
    got = [c for c in contributions(PLAN, act) if c.indicator == "leadership-meetings" and c.scope == "dangshan"]
    assert [(c.window, c.value) for c in got] == [("2023Q3", 1.0)]
