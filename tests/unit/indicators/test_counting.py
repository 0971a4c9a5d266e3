"""Which indicator windows and scopes an activity feeds, and which revision counts: read from
the plan (the fictional county's), not from code."""
from __future__ import annotations

import datetime as dt

from services.indicators.domain.counting import (
    contributions,
    fresh_latest,
    moved_sums,
    newer_than_applied,
    refusal,
)
from tests.unit.indicators.fictional import ATLAS, ORG, REGION, star_night


def test_a_star_night_feeds_its_yearly_and_period_indicators_in_every_scope():
    got = {(c.indicator, c.window, c.scope): c.value
           for c in contributions(ATLAS, star_night("a1", booths=3, visitors=120, town="town-east"))}
    for scope in (REGION, f"org:{ORG}", "town:town-east"):
        assert got[("star-night-booths", "2024", scope)] == 3
        assert got[("star-night-visitors", "2024-2026", scope)] == 120


def test_an_activity_type_feeds_its_tracking_indicators():
    got = {c.indicator: c.value for c in contributions(ATLAS, star_night("a1", booths=3, visitors=120))
           if c.scope == REGION and c.indicator.startswith("track.")}
    assert got == {"track.star_night.events": 1, "track.star_night.visitors": 120}


def test_a_retracted_or_out_of_period_activity_contributes_nothing():
    assert contributions(ATLAS, star_night("a1", retracted=True)) == []
    assert contributions(ATLAS, star_night("a1", day=dt.date(2027, 2, 1))) == []


def test_a_quarterly_meeting_counts_one_event_from_the_indicators_first_year():
    meeting = star_night("m1", day=dt.date(2025, 8, 9)).model_copy(
        update={"activity_type": "steering_meeting", "quantities": {"visitors": 30}})
    got = [c for c in contributions(ATLAS, meeting) if c.indicator == "steering-meetings" and c.scope == REGION]
    assert [(c.window, c.value) for c in got] == [("2025Q3", 1.0)]
    too_early = meeting.model_copy(update={"start_date": dt.date(2024, 8, 9)})
    assert not any(c.indicator == "steering-meetings" for c in contributions(ATLAS, too_early))


def test_an_amount_beyond_the_plans_bounds_is_refused_naming_the_event_and_field():
    good, forged = star_night("a1", booths=2), star_night("a2", booths=1.5)
    assert refusal(ATLAS, [("e1", [good])]) is None
    why = refusal(ATLAS, [("e1", [good]), ("e2", [forged])])
    assert why.startswith("event e2: activity a2 of qinglan-library (star_night): quantities.booths: ")
    assert "应为整数" in why


def test_each_new_event_counts_once_and_the_highest_revision_of_an_activity_wins():
    events = [("e1", [star_night("a1", 1)]), ("e2", [star_night("a1", 3, revision=3)]),
              ("e1", [star_night("a1", 1)]), ("old", [star_night("a2", 9)]), ("e3", [star_night("a2", 2, revision=2)])]
    latest = fresh_latest(events, {"e1", "e2", "e3"})
    assert [(a.activity_id, a.revision) for a in latest] == [("a1", 3), ("a2", 2)]


def test_a_revision_counts_only_when_newer_than_the_one_applied():
    activities = [star_night("a1", revision=2), star_night("a2", revision=2), star_night("a3")]
    assert [a.activity_id for a in newer_than_applied(activities, {"a1": 1, "a2": 2})] == ["a1", "a3"]


def test_a_windows_sum_moves_by_what_was_added_less_what_was_removed():
    added = contributions(ATLAS, star_night("a1", booths=5))
    moved = moved_sums([(("star-night-booths", "2024", REGION), 2.0)], added)
    assert moved[("star-night-booths", "2024", REGION)] == 3 and moved[("star-night-booths", "2024", f"org:{ORG}")] == 5
