"""Two fictional counties under a fictional city (tests/plans/regions): each county counts its own
activities, and the city counts them again as its plan says (``rollup``), on in-memory SQLite.

Expected figures come from the plan files' comments and the reports below, not from the code:
- 清河县 reports 3 + 4 caravan sessions and 30 trainees; 白沙县 5 sessions and 20 trainees; the
  city's own 西云市科协 2 sessions and 西云市教育局 15 trainees;
- city-caravan-sessions (subtree) = 3 + 4 + 5 + 2 = 14 of 50; each county's part beside it;
- city-own-training (own) = 15: the counties' 50 trainees count only in their own `trainees`.
"""
from __future__ import annotations

import datetime as dt

import pytest

from libs.common.events import ActivityRecorded, RebuildReplayed, make_envelope, replay_event_id
from libs.common.plan.atlas import load_atlas
from libs.common.settings import REPO_ROOT
from services.indicators import app
from services.indicators.domain.counting import contributions

ATLAS = load_atlas(REPO_ROOT / "tests" / "plans" / "regions")
TODAY = dt.date(2026, 6, 30)


def report(activity_id: str, org: str, region: str | None, activity_type: str = "caravan_tour", revision: int = 1,
           retracted: bool = False, town: str | None = None, **quantities: float) -> ActivityRecorded:
    return ActivityRecorded(activity_id=activity_id, org=org, region=region, activity_type=activity_type,
                            start_date=dt.date(2026, 5, 1), quantities=quantities, revision=revision,
                            retracted=retracted, town=town)


REPORTS = [
    report("q1", "qinghe-cast", "qinghe", sessions=3, participants=300, town="qinghe-town-a"),
    report("q2", "qinghe-edu", "qinghe", sessions=4),
    report("q3", "qinghe-agriculture", "qinghe", "training", trainees=30),
    report("b1", "baisha-cast", "baisha", sessions=5),
    report("b2", "baisha-edu", "baisha", "training", trainees=20),
    report("x1", "xiyun-cast", "xiyun", sessions=2),
    report("x2", "xiyun-edu", "xiyun", "training", trainees=15),
]


def count(uow, *activities: ActivityRecorded) -> app.Judged:
    """Each activity in an event of its own, in one batch."""
    return app.count_activities(uow, ATLAS, [make_envelope("activities", a).model_dump(mode="json")
                                             for a in activities], TODAY)


def figure(uow, region: str, indicator: str, window: str = "2026", scope: str | None = None) -> float | None:
    year = app.year_progress(uow, ATLAS, TODAY, 2026, indicator, region=region)
    (item,) = [i for i in year.indicators if i.window == window]
    if scope is None:
        return item.total.actual if item.total else None
    rows = [r for r in [*item.by_org, *item.by_town, *item.by_region] if r.scope == scope]
    return rows[0].actual if rows else None


@pytest.fixture
def counted(uow):
    count(uow, *REPORTS)
    return uow


def test_each_county_counts_its_own_activities_only(counted):
    assert figure(counted, "qinghe", "caravan-tours") == 7
    assert figure(counted, "baisha", "caravan-tours") == 5
    assert figure(counted, "qinghe", "trainees", "2026-2030") == 30
    assert figure(counted, "baisha", "trainees", "2026-2030") == 20
    assert figure(counted, "qinghe", "caravan-tours", scope="org:qinghe-edu") == 4
    assert figure(counted, "qinghe", "caravan-tours", scope="town:qinghe-town-a") == 3
    assert figure(counted, "qinghe", "caravan-tours", scope="org:baisha-cast") is None  # the neighbour's unit


def test_the_city_counts_its_subtree_where_the_plan_says_subtree_and_its_own_units_where_it_says_own(counted):
    assert figure(counted, "xiyun", "city-caravan-sessions") == 3 + 4 + 5 + 2
    assert figure(counted, "xiyun", "city-own-training") == 15
    # the counties side by side: each one's part of the city's figure; the city's own units by org
    assert figure(counted, "xiyun", "city-caravan-sessions", scope="region:qinghe") == 7
    assert figure(counted, "xiyun", "city-caravan-sessions", scope="region:baisha") == 5
    assert figure(counted, "xiyun", "city-caravan-sessions", scope="org:xiyun-cast") == 2
    assert figure(counted, "xiyun", "city-own-training", scope="region:qinghe") is None
    # a county's departments are the county's breakdowns, never the city's
    assert figure(counted, "xiyun", "city-caravan-sessions", scope="org:qinghe-edu") is None


def test_the_city_judges_its_own_target_and_a_county_its_own(counted):
    app.judge_on_the_clock(counted, ATLAS, TODAY)
    by_scope = {(c.indicator, c.scope): c for c in counted.sent()}
    # half the year gone: 14 of 50 expected ~24.8 is lagging for the city; 7 of 10 is ahead for 清河
    assert by_scope[("city-caravan-sessions", "xiyun")].status == "lagging"
    assert by_scope[("city-caravan-sessions", "xiyun")].region == "xiyun"
    assert ("caravan-tours", "qinghe") not in by_scope or by_scope[("caravan-tours", "qinghe")].status != "lagging"


def test_a_correction_and_a_retraction_move_the_county_and_the_city_together(counted):
    count(counted, report("q2", "qinghe-edu", "qinghe", sessions=1, revision=2))
    assert (figure(counted, "qinghe", "caravan-tours"), figure(counted, "xiyun", "city-caravan-sessions")) == (4, 11)
    count(counted, report("q2", "qinghe-edu", "qinghe", revision=3, retracted=True))
    assert (figure(counted, "qinghe", "caravan-tours"), figure(counted, "xiyun", "city-caravan-sessions")) == (3, 10)
    assert figure(counted, "xiyun", "city-caravan-sessions", scope="region:qinghe") == 3


def test_a_redelivered_event_counts_once_in_the_county_and_in_the_city(uow):
    body = make_envelope("activities", REPORTS[0]).model_dump(mode="json")
    app.count_activities(uow, ATLAS, [body], TODAY)
    app.count_activities(uow, ATLAS, [body, body], TODAY)
    assert (figure(uow, "qinghe", "caravan-tours"), figure(uow, "xiyun", "city-caravan-sessions")) == (3, 3)


def test_an_event_from_before_regions_counts_in_the_region_the_plans_give_its_organisation():
    unmarked = report("u1", "baisha-edu", None, sessions=2)
    targets = {(c.indicator, c.scope) for c in contributions(ATLAS, unmarked) if not c.indicator.startswith("track.")}
    assert targets == {("caravan-tours", "baisha"), ("caravan-tours", "org:baisha-edu"),
                       ("city-caravan-sessions", "xiyun"), ("city-caravan-sessions", "region:baisha")}


def test_a_city_office_reads_its_counties_but_a_county_reads_nothing_of_its_neighbour(counted):
    assert ATLAS.within("qinghe", "xiyun") and ATLAS.within("baisha", "xiyun")
    assert not ATLAS.within("baisha", "qinghe") and not ATLAS.within("xiyun", "qinghe")
    # a county's year lists only its own scopes
    year = app.year_progress(counted, ATLAS, TODAY, 2026, region="qinghe")
    scopes = {r.scope for i in year.indicators for r in [*i.by_org, *i.by_town, *i.by_region]}
    assert scopes and all("baisha" not in s and "xiyun" not in s for s in scopes)


def test_a_rebuild_of_every_region_equals_the_figures_counted_as_they_came(counted):
    before = {(s.indicator, s.window, s.scope): s.actual for s in app.progress(counted, ATLAS)}
    run = app.begin_rebuild(counted, dt.datetime(2026, 6, 30, tzinfo=dt.UTC))
    replay = [make_envelope("activities", a, event_id=replay_event_id(run, a.activity_id)).model_dump(mode="json")
              for a in REPORTS]
    replay.append(make_envelope("activities", RebuildReplayed(run=run, count=len(REPORTS))).model_dump(mode="json"))
    app.take_replay(counted, ATLAS, replay, TODAY, dt.datetime(2026, 6, 30, 1, tzinfo=dt.UTC))
    after = {(s.indicator, s.window, s.scope): s.actual for s in app.progress(counted, ATLAS)}
    assert after == before and before[("city-caravan-sessions", "2026", "xiyun")] == 14


# --- plans in succession: the seed county's 2021–2025 plan, then its 2026–2030 one (example data) ---

SEED = load_atlas(REPO_ROOT / "plans")


def caravan(activity_id: str, day: dt.date, sessions: float) -> ActivityRecorded:
    return ActivityRecorded(activity_id=activity_id, org="cast", region="dangshan", activity_type="caravan_tour",
                            start_date=day, quantities={"sessions": sessions})


def test_the_new_plan_counts_from_its_first_day_and_the_ended_plan_keeps_its_figures_without_new_alerts(uow):
    app.count_activities(uow, SEED, [make_envelope("activities", a).model_dump(mode="json") for a in (
        caravan("old", dt.date(2025, 12, 30), 4), caravan("new", dt.date(2026, 1, 2), 3))], dt.date(2026, 1, 5))
    app.judge_on_the_clock(uow, SEED, dt.date(2026, 1, 5))
    first = len(uow.sent())
    old = app.year_progress(uow, SEED, dt.date(2026, 1, 5), 2025, "caravan-tours", region="dangshan")
    new = app.year_progress(uow, SEED, dt.date(2026, 1, 5), None, "caravan-tours", region="dangshan")
    (old_window,), (new_window,) = old.indicators, new.indicators
    assert (old_window.window, old_window.target, old_window.total.actual, old_window.total.status) == \
        ("2025", 10, 4, "missed")  # the 2021–2025 plan's target, its final figure
    assert (new.year, new_window.window, new_window.target, new_window.total.actual) == (2026, "2026", 12, 3)
    # the clock judges every plan's windows again as days pass: the ended ones hold, so nothing is re-sent
    app.judge_on_the_clock(uow, SEED, dt.date(2026, 3, 2))
    resent = [c for c in uow.sent()[first:] if int(c.window[:4]) <= 2025]  # 2025, 2025Q4, 2021-2025 …
    assert resent == []


def test_a_county_s_link_counts_in_the_county_and_rolls_up_to_the_city(uow):
    bodies = [make_envelope("activities", report("q9", "qinghe-cast", "qinghe", sessions=6)).model_dump(mode="json")]
    app.count_activities(uow, ATLAS, bodies, TODAY, senders=["county-qinghe"])
    assert figure(uow, "qinghe", "caravan-tours") == 6 and figure(uow, "xiyun", "city-caravan-sessions") == 6
    assert figure(uow, "xiyun", "city-caravan-sessions", scope="region:qinghe") == 6


@pytest.mark.parametrize(("activity", "reason"), [
    (report("b9", "baisha-cast", "baisha", sessions=6), "region 'baisha', which is not county 'qinghe'"),
    (report("x9", "xiyun-cast", "xiyun", sessions=6), "region 'xiyun', which is not county 'qinghe'"),
    (report("q9", "qinghe-cast", None, sessions=6), "names no region"),
    (report("q9", "qinghe-cast", "elsewhere", sessions=6), "region 'elsewhere'"),
])
def test_a_county_s_link_may_not_count_for_another_region(uow, activity, reason):
    from libs.common.bus.senders import SenderRefused

    bodies = [make_envelope("activities", activity).model_dump(mode="json")]
    with pytest.raises(SenderRefused, match=reason):
        app.count_activities(uow, ATLAS, bodies, TODAY, senders=["county-qinghe"])
    app.count_activities(uow, ATLAS, bodies, TODAY, senders=["activities"])  # the city's own service may


def test_a_county_the_city_follows_no_plan_of_is_refused_naming_the_fix(uow):
    from libs.common.bus.senders import SenderRefused

    bodies = [make_envelope("activities", report("q9", "qinghe-cast", "qinghe", sessions=6)).model_dump(mode="json")]
    with pytest.raises(SenderRefused, match="KEPU_PLAN_FILE"):
        app.count_activities(uow, ATLAS, bodies, TODAY, senders=["county-dongshan"])
