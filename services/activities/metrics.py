"""Prometheus metrics of the activities service."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge

if TYPE_CHECKING:
    from services.activities.reporting_figures import ReportingFigures, TownFigure

ACTIVITIES_RECORDED = Counter(
    "kepu_activities_recorded_total", "Activities accepted, by type, reporting organisation and its region.",
    ["activity_type", "org", "region"],
)
ACTIVITY_CHANGES = Counter(
    "kepu_activity_changes_total", "Corrections and retractions of stored activities.", ["action"],
)

# what the Towns dashboard reads: refreshed from the stored activities (corrections and
# retractions included), so it says what is counted, not what was once reported. ``region``: the
# town's (one per town, so no more series than towns × years)
BY_TOWN = Gauge("kepu_town_activities", "Activities held in a town (retractions excluded), by start year.",
                ["town", "region", "year"])
PARTICIPANTS_BY_TOWN = Gauge("kepu_town_participants", "Participants (人次) of the activities held in a town, by "
                             "start year.", ["town", "region", "year"])


def publish_town_totals(towns: Iterable[TownFigure]) -> None:
    """The whole picture: series of towns that no longer have activities are dropped."""
    BY_TOWN.clear()
    PARTICIPANTS_BY_TOWN.clear()
    for t in towns:
        BY_TOWN.labels(t.town, t.region, str(t.year)).set(t.activities)
        PARTICIPANTS_BY_TOWN.labels(t.town, t.region, str(t.year)).set(t.participants)


# --- reporting periods (issue 19): the current year by the service's clock, from period_reports.
# Bounded: the plan's reporting organisations and the registered towns × the periods of one year
# (at most 12 each); never a report's text or id. ``region`` is the organisation's (one per
# organisation: it adds no series).
_BOUND = " One series per reporting organisation (plan units and registered towns) of the current year."
PER_KIND = ["org", "region", "every"]
PER_PERIOD = ["org", "region", "period"]
REPORTING_EXPECTED = Gauge(
    "kepu_reporting_expected_periods", "Periods of the current year whose report is expected by now: the deadline "
    "passed (on China's working days), or the report came in early." + _BOUND, PER_KIND)
REPORTING_SUBMITTED = Gauge(
    "kepu_reporting_submitted_periods", "Expected periods submitted (on time or late; a nil report 本期无活动 "
    "counts)." + _BOUND, PER_KIND)
REPORTING_ON_TIME = Gauge(
    "kepu_reporting_on_time_periods", "Expected periods submitted by their deadline." + _BOUND, PER_KIND)
# 0 open (进行中), 1 due (待报送), 2 on_time (按时报送), 3 late (逾期报送), 4 missing (逾期未报送)
PERIOD_STATE_CODES = {"open": 0, "due": 1, "on_time": 2, "late": 3, "missing": 4}
PERIOD_STATE = Gauge(
    "kepu_reporting_period_state_code", "State of each started period of the current year: 0 open, 1 due, "
    "2 on time, 3 late, 4 missing. A state, not a figure. Bounded: reporting organisations × periods of one year.",
    PER_PERIOD)
PERIOD_ACTIVITIES = Gauge(
    "kepu_period_activities", "Activities starting in a SUBMITTED period (retractions excluded; a nil report "
    "shows 0). A period not submitted has no series at all: no value, never 0. Bounded: reporting "
    "organisations × periods of one year.", PER_PERIOD)
LAST_RECORDED = Gauge(
    "kepu_activity_last_recorded_timestamp_seconds", "When the organisation's latest activity was stored (Unix "
    "time); no series before its first. One series per organisation that ever reported.", ["org", "region"])


def publish_reporting(figures: ReportingFigures) -> None:
    """The whole picture (series of what is gone are dropped): the counts per organisation and
    period kind, and per period its state and, only if it was submitted, its activities."""
    for gauge in (REPORTING_EXPECTED, REPORTING_SUBMITTED, REPORTING_ON_TIME, PERIOD_STATE, PERIOD_ACTIVITIES,
                  LAST_RECORDED):
        gauge.clear()
    for p in figures.periods:
        # a count of periods is a true 0 when none is expected yet; a period's own figure never is
        for gauge, counted in ((REPORTING_EXPECTED, p.expected), (REPORTING_SUBMITTED, p.submitted),
                               (REPORTING_ON_TIME, p.state == "on_time")):
            gauge.labels(p.org, p.region, p.every).inc(int(counted))
        PERIOD_STATE.labels(p.org, p.region, p.period).set(PERIOD_STATE_CODES[p.state])
        if p.activities is not None:
            PERIOD_ACTIVITIES.labels(p.org, p.region, p.period).set(p.activities)
    for org, (region, at) in figures.last_recorded.items():
        LAST_RECORDED.labels(org, region).set(at.timestamp())
