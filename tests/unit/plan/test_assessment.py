"""The year-end 考核 ranks a constructed fictional plan as expected: ties share a rank, a unit with no
target is set apart, weights change the order, and every state is said in words."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from libs.common.plan import PlanError, load_plan
from libs.common.plan.assessment import (
    NO_TARGETS,
    NOT_SCORED,
    Assessment,
    Ranking,
    WindowFigures,
    YearOutsidePlan,
    assess,
)
from libs.common.plan.loader import parse_plan
from libs.common.plan.schema import Plan

# 云溪县 does not exist: six units, a town slot, and targets of every kind over 2024-2026.
PLAN = """
plan:
  code: yunxi-2024-2026
  title: 云溪县全民科学素质行动实施方案（虚构，仅供测试）
  region: {code: yunxi, name: 云溪县（虚构）, level: county}
  period: {start: 2024, end: 2026}
organisations:
  - {code: gov, name: 县人民政府, kind: government}
  - {code: office, name: 县领导小组办公室, kind: office, parent: gov}
  - {code: edu, name: 县教育局, kind: department, parent: gov}
  - {code: farming, name: 县农业农村局, kind: department, parent: gov}
  - {code: health, name: 县卫生健康委, kind: department, parent: gov}
  - {code: cast, name: 县科协, kind: body, parent: gov}
  - {code: finance, name: 县财政局, kind: department, parent: gov}
  - {code: towns, name: 各镇, kind: town_category, parent: gov}
reporting:
  exempt: [gov]
quantities:
  - {code: sessions, name: 场次, unit: 场次}
  - {code: people, name: 人数, unit: 人}
activity_types:
  - {code: lecture, name: 科普讲座, category: other, quantities: [sessions], track: [events]}
  - {code: training, name: 农民培训, category: training, quantities: [people]}
  - {code: register, name: 志愿者注册, category: registration, quantities: [people]}
  - {code: meeting, name: 调度会, category: meeting, quantities: [sessions]}
indicators:
  - {code: lectures, name: 科普讲座, kind: yearly, target: 10, unit: 场次,
     feeds: [{activity_type: lecture, quantity: sessions}], responsible: [edu, farming]}
  - {code: clinics, name: 健康讲座, kind: yearly, target: 5, unit: 场次,
     feeds: [{activity_type: lecture, quantity: sessions}], responsible: [edu, health]}
  - {code: new-lectures, name: 新增讲座, kind: yearly, target: 2, unit: 场次, first_year: 2026,
     feeds: [{activity_type: lecture, quantity: sessions}], responsible: [edu]}
  - {code: meetings, name: 调度会, kind: quarterly, target: 1, unit: 场次,
     feeds: [{activity_type: meeting, quantity: sessions}], responsible: [office]}
  - {code: farmers, name: 培训农民, kind: cumulative, target: 100, unit: 人,
     feeds: [{activity_type: training, quantity: people}], responsible: [farming, health, towns]}
  - {code: volunteers, name: 注册志愿者, kind: stock, target: 50, comparison: more_than, unit: 人,
     feeds: [{activity_type: register, quantity: people}], responsible: [cast]}
"""
REPO_ROOT = Path(__file__).resolve().parents[3]
TOWNS = {"town-east": "东溪镇", "town-west": "西溪镇"}
YEAR_END = dt.date(2027, 1, 10)


def plan(extra: str = "") -> Plan:
    return parse_plan(PLAN + extra)


def figures(**by_window: tuple[str | None, float]) -> list[WindowFigures]:
    """``lectures__2026=("achieved", 12)`` → the region's figures of window 2026 of lectures."""
    out = []
    for key, (status, actual) in by_window.items():
        indicator, window = key.replace("_", "-").split("--")
        out.append(WindowFigures(indicator, window, status, actual))
    return out


FINAL_2026 = figures(
    lectures__2026=("achieved", 12), clinics__2026=("missed", 3), new_lectures__2026=("achieved", 2),
    meetings__2026Q1=("achieved", 1), meetings__2026Q2=("achieved", 1), meetings__2026Q3=("achieved", 2),
    meetings__2026Q4=("achieved", 1),
    farmers__2024_2026=("missed", 100),  # a stale status: the figure meets the target (≥ 100)
)  # volunteers: never a figure


def standings(ranking: Ranking) -> list[tuple[str, float | None, str]]:
    return [(u.code, u.score, u.standing) for u in (*ranking.ranked, *ranking.not_scored, *ranking.without_targets)]


def test_the_final_year_ranks_units_with_a_tie_and_sets_apart_a_unit_without_targets():
    result = assess(plan(), 2026, FINAL_2026, YEAR_END, TOWNS)
    assert standings(result.units) == [
        ("office", 100.0, "并列第1名"),  # four quarters, each achieved
        ("farming", 100.0, "并列第1名"),  # lectures ✓, farmers ✓ (its figure meets the target)
        ("edu", 66.7, "第3名"),  # lectures ✓, clinics ✗, new-lectures ✓: 2 of 3, one decimal
        ("health", 50.0, "第4名"),  # clinics ✗, farmers ✓
        ("cast", 0.0, "第5名"),  # volunteers: no figure at all, which is not achieved
        ("finance", None, NO_TARGETS),  # reports, answers for nothing: not ranked, not 0
    ]
    assert [u.code for u in result.units.without_targets] == ["finance"]  # gov: exempt, answers for nothing


def test_towns_answer_for_what_the_town_slot_answers_for_and_are_ranked_among_themselves():
    result = assess(plan(), 2026, FINAL_2026, YEAR_END, TOWNS)
    assert result.towns.title == "镇（园区）" and result.units.title == "部门和单位"
    assert standings(result.towns) == [("town-east", 100.0, "并列第1名"), ("town-west", 100.0, "并列第1名")]
    assert [t.indicator.code for t in result.towns.ranked[0].targets] == ["farmers"]


def test_a_town_in_a_plan_whose_town_slot_answers_for_nothing_has_no_targets():
    quiet = PLAN.replace("responsible: [farming, health, towns]", "responsible: [farming, health]")
    result = assess(parse_plan(quiet), 2026, FINAL_2026, YEAR_END, TOWNS)
    assert standings(result.towns) == [("town-east", None, NO_TARGETS), ("town-west", None, NO_TARGETS)]
    assert result.towns.ranked == ()


def test_weights_declared_by_the_plan_change_the_order():
    weighed = plan("assessment: {weights: {clinics: 3, farmers: 4}}\n")
    result = assess(weighed, 2026, FINAL_2026, YEAR_END, TOWNS)
    assert standings(result.units)[:5] == [
        ("office", 100.0, "并列第1名"),
        ("farming", 100.0, "并列第1名"),
        ("health", 57.1, "第3名"),  # farmers 4 of clinics 3 + farmers 4: now ahead of edu
        ("edu", 40.0, "第4名"),  # lectures 1 + new-lectures 1 of 1 + 3 + 1
        ("cast", 0.0, "第5名"),
    ]
    assert result.weights == "考核权重：健康讲座3、培训农民4，其余指标各1"
    assert assess(plan(), 2026, FINAL_2026, YEAR_END).weights == "考核权重：各项指标相同"
    assert "得分相同者并列" in result.notes[1] and result.notes[0] == result.weights


def test_a_default_weight_weighs_every_target_not_named():
    weighed = plan("assessment: {weights: {clinics: 1}, default_weight: 2}\n")
    edu = next(u for u in assess(weighed, 2026, FINAL_2026, YEAR_END).units.ranked if u.code == "edu")
    assert edu.score == 80.0  # (2 + 2) of (2 + 1 + 2)


def test_equal_published_scores_tie_and_the_next_rank_is_skipped():
    year = figures(lectures__2025=("missed", 4), clinics__2025=("achieved", 6),
                   **{f"meetings__2025Q{q}": ("achieved", 1) for q in (1, 2, 4)}, meetings__2025Q3=("missed", 0))
    result = assess(plan(), 2025, year, YEAR_END, TOWNS)
    assert standings(result.units) == [
        ("health", 100.0, "第1名"),  # clinics ✓ (farmers counts in 2026)
        ("edu", 50.0, "第2名"),  # lectures ✗, clinics ✓
        ("office", 0.0, "并列第3名"),  # one quarter missed: the year is missed
        ("farming", 0.0, "并列第3名"),
        ("cast", None, NO_TARGETS),  # volunteers counts in 2026
        ("finance", None, NO_TARGETS),
    ]
    office = result.units.ranked[2]
    assert office.targets[0].note == "第三季度未完成"


def test_cumulative_and_stock_targets_count_in_the_year_their_window_ends_and_say_so():
    before = assess(plan(), 2025, [], YEAR_END)
    assert {d.indicator.code: d.reason for d in before.deferred} == {
        "new-lectures": "自2026年起考核",
        "farmers": "2024—2026年累计指标，在2026年考核",
        "volunteers": "2024—2026年期末指标，在2026年考核",
    }
    final = assess(plan(), 2026, FINAL_2026, YEAR_END)
    assert final.deferred == ()
    farming = next(u for u in final.units.ranked if u.code == "farming")
    farmers = next(t for t in farming.targets if t.indicator.code == "farmers")
    assert (farmers.state, farmers.words, farmers.note) == ("achieved", "完成", "2024—2026年累计指标，在2026年考核")


def test_no_figures_are_said_in_words_and_count_as_not_achieved():
    cast = next(u for u in assess(plan(), 2026, FINAL_2026, YEAR_END).units.ranked if u.code == "cast")
    (volunteers,) = cast.targets
    assert volunteers.state == "no_data" and volunteers.words == "无数据（按未完成计）"
    assert volunteers.windows[0].actual is None


def test_a_window_still_running_is_pending_and_left_out_of_the_score():
    december = dt.date(2026, 12, 15)
    running = [f for f in FINAL_2026 if f.window != "2026Q2"] + figures(meetings__2026Q2=("missed", 0))
    result = assess(plan(), 2026, running, december, TOWNS)
    office = next(u for u in result.units.ranked if u.code == "office")
    assert (office.score, office.targets[0].state) == (0.0, "missed")  # a missed quarter decides the year
    assert office.targets[0].note.startswith("第二季度未完成；第四季度考核期未结束（不计分），目前已完成目标")
    edu = next(u for u in result.units.not_scored if u.code == "edu")
    assert (edu.score, edu.rank, edu.standing) == (None, None, NOT_SCORED)
    assert {t.state for t in edu.targets} == {"pending"}
    assert [t.words for t in edu.targets] == ["考核期未结束（不计分）"] * 3


def test_a_year_outside_the_plan_period_is_refused_in_words():
    with pytest.raises(YearOutsidePlan, match="2027年不在规划期（2024—2026年）内"):
        assess(plan(), 2027, [], YEAR_END)


def test_the_fictional_county_assesses_with_equal_weights():
    fictional = load_plan(REPO_ROOT / "tests" / "plans" / "fictional-county.yaml")
    result: Assessment = assess(fictional, 2025, figures(star_night_booths__2025=("achieved", 7)),
                                dt.date(2026, 1, 5), {"qinglan-town-a": "青岚A镇（虚构）"})
    assert standings(result.units) == [
        ("qinglan-library", 100.0, "第1名"),
        ("qinglan-science-association", 50.0, "第2名"),  # booths ✓, steering meetings: no figures
    ]
    assert standings(result.towns) == [("qinglan-town-a", None, NO_TARGETS)]


def problems(extra: str) -> list[tuple[str, str, str]]:
    """(path, message, the text of the line it names) of each problem of the plan with ``extra``."""
    text = PLAN + extra
    with pytest.raises(PlanError) as info:
        parse_plan(text, "plan.yaml")
    return [(p.path, p.message, text.splitlines()[p.line - 1].strip()) for p in info.value.problems]


def test_weights_name_declared_targets_and_are_positive_each_error_on_its_line():
    found = problems("assessment:\n  weights:\n    clinics: 0\n    clinic: 2\n    track.lecture.events: 1\n"
                     "    meetings: yes\n  default_weight: -1\n")
    assert found == [
        ("assessment.weights.clinics", "Input should be greater than 0", "clinics: 0"),
        ("assessment.weights.meetings", "Input should be a valid number", "meetings: yes"),
        ("assessment.default_weight", "Input should be greater than 0", "default_weight: -1"),
        ("assessment.weights.clinic", "indicator 'clinic' is not declared: weigh a declared indicator by its code",
         "clinic: 2"),
        ("assessment.weights.track.lecture.events", "'track.lecture.events' is a tracking indicator: it has no "
         "target, so the 考核 does not weigh it", "track.lecture.events: 1"),
    ]


def test_the_assessment_section_takes_weights_and_a_default_weight_only():
    assert problems("assessment: {weight: {clinics: 2}}\n") == [
        ("assessment.weight", "Extra inputs are not permitted", "assessment: {weight: {clinics: 2}}")]


def test_plans_without_an_assessment_section_weigh_every_target_the_same():
    for path in (REPO_ROOT / "plans" / "dangshan-2021-2025.yaml", REPO_ROOT / "tests" / "plans" / "fictional-county.yaml"):
        loaded = load_plan(path)
        assert loaded.assessment.weights == {} and loaded.assessment.default_weight == 1
        assert {loaded.assessment.weight(i.code) for i in loaded.indicators} == {1}
