"""Alerts of several regions (tests/plans/regions: a fictional city over two counties): each lagging
target is addressed to its own region's office and responsible units, and each office's digest
holds its own region's alerts only; windows closed before monitoring began are summarised to
each region's own office; the firing gauge names each alert's own region."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from libs.common.events import IndicatorStatusChanged, ReportingDutyChanged, make_envelope
from libs.common.plan.atlas import load_atlas
from libs.common.settings import REPO_ROOT
from services.notifications import app
from services.notifications.models import Base
from tests.unit.notifications.county import MINUTE, MONDAY_10, settings

ATLAS = load_atlas(REPO_ROOT / "tests" / "plans" / "regions")


def lagging(region: str, indicator: str, responsible: list[str], window: str = "2026", sequence: int = 1,
            as_of: dt.date = dt.date(2026, 10, 13)):
    return make_envelope("indicators", IndicatorStatusChanged(
        indicator=indicator, indicator_name=indicator, window=window, scope=region, region=region, previous=None,
        status="lagging", actual=1, expected=5, target=10, unit="场次", as_of=as_of, responsible=responsible,
        sequence=sequence))


def test_each_region_s_office_is_told_of_its_own_region_only():
    session = Session(create_engine("sqlite://"))
    Base.metadata.create_all(session.get_bind())
    rules = app.Rules.of(ATLAS, settings())
    assert rules.offices == {"xiyun": "xiyun-office", "qinghe": "qinghe-office", "baisha": "baisha-office"}
    app.apply_status_changes(session, [lagging("qinghe", "caravan-tours", ["qinghe-cast"]),
                                       lagging("xiyun", "city-caravan-sessions", ["xiyun-cast"])], rules, MONDAY_10)
    made = {d.org: d for d in app.run_round(session, rules, MONDAY_10 + 2 * MINUTE)}
    assert set(made) == {"qinghe-office", "qinghe-cast", "xiyun-office", "xiyun-cast"}  # not baisha's office
    assert [i["indicator"] for i in made["qinghe-office"].items] == ["caravan-tours"]
    assert [i["indicator"] for i in made["xiyun-office"].items] == ["city-caravan-sessions"]
    # each reader is pointed to its own region's office and overview, in its words
    assert made["xiyun-office"].text.endswith("各单位情况见门户“全市总览”。")
    assert made["qinghe-office"].text.endswith("各单位情况见门户“全县总览”。")
    assert made["xiyun-cast"].text.endswith("如有疑问请联系市科协（领导小组办公室）。")


def test_windows_closed_before_monitoring_are_summarised_to_each_region_s_own_office():
    session = Session(create_engine("sqlite://"))
    Base.metadata.create_all(session.get_bind())
    rules = app.Rules.of(ATLAS, settings())
    old = dt.date(2026, 12, 31)
    app.apply_status_changes(session, [
        lagging("qinghe", "caravan-tours", ["qinghe-cast"], window="2026", as_of=old + dt.timedelta(days=200)),
        lagging("baisha", "caravan-tours", ["baisha-cast"], window="2026", sequence=2,
                as_of=old + dt.timedelta(days=200))], rules, MONDAY_10)
    made = [d for d in app.run_round(session, rules, MONDAY_10 + dt.timedelta(hours=2)) if d.kind == "history"]
    assert {d.org: [i["scope"] for i in d.items] for d in made} == {"qinghe-office": ["qinghe"],
                                                                   "baisha-office": ["baisha"]}


def overdue(org: str, region: str, sequence: int, state: str = "overdue"):
    return make_envelope("activities", ReportingDutyChanged(
        org=org, org_name=org, region=region, period="2026Q2", state=state, starts=dt.date(2026, 4, 1),
        due=dt.date(2026, 7, 15), days_left=2 if state == "reminder" else None, as_of=dt.date(2026, 10, 13),
        sequence=sequence))


def test_the_firing_gauge_counts_each_alert_in_its_own_region():
    session = Session(create_engine("sqlite://"))
    Base.metadata.create_all(session.get_bind())
    rules = app.Rules.of(ATLAS, settings())
    app.apply_status_changes(session, [lagging("qinghe", "caravan-tours", ["qinghe-cast"]),
                                       lagging("xiyun", "city-caravan-sessions", ["xiyun-cast"])], rules, MONDAY_10)
    # a unit the plan names; a town registered later, overdue (its office hears) or only reminded (it alone)
    app.apply_duty_changes(session, [overdue("baisha-edu", "baisha", 1), overdue("baisha-town-1", "baisha", 2),
                                     overdue("qinghe-town-1", "qinghe", 3, state="reminder")], rules, MONDAY_10)
    firing = app.read_gauges(session, rules).firing
    assert {(org, region) for _, org, region in firing} == {
        ("qinghe-cast", "qinghe"), ("qinghe-office", "qinghe"), ("xiyun-cast", "xiyun"), ("xiyun-office", "xiyun"),
        ("baisha-edu", "baisha"), ("baisha-office", "baisha"), ("baisha-town-1", "baisha"),
        ("qinghe-town-1", "xiyun")}  # a reminder to a town no plan names: the top region's
    assert firing[("warning", "baisha-office", "baisha")] == 2
