"""A fictional county plan loads: nothing in the schema or loader is tied to Dangshan."""
from __future__ import annotations

from pathlib import Path

from libs.common.plan import load_plan
from libs.common.plan.schema import whole_figures

REPO_ROOT = Path(__file__).resolve().parents[3]
FICTIONAL = load_plan(REPO_ROOT / "tests" / "plans" / "fictional-county.yaml")
DANGSHAN = load_plan(REPO_ROOT / "plans" / "dangshan-2021-2025.yaml")


def test_loads_with_its_own_period_and_region():
    meta = FICTIONAL.meta
    assert meta.code == "qinglan-2024-2026"
    assert (meta.region.code, meta.region.level) == ("qinglan", "county")
    assert meta.period.years == [2024, 2025, 2026]
    assert "虚构" in meta.title


def test_shares_no_code_or_name_with_dangshan():
    def codes(plan):
        return ({o.code for o in plan.organisations} | {o.name for o in plan.organisations}
                | {t.code for t in plan.activity_types} | {q.code for q in plan.quantities}
                | {s.code for s in plan.sections} | {i.code for i in plan.all_indicators()})
    assert not codes(FICTIONAL) & codes(DANGSHAN)


def test_indicators_of_three_kinds():
    kinds = {i.code: (i.kind, i.target, i.unit, i.comparison) for i in FICTIONAL.indicators}
    assert kinds == {
        "star-night-booths": ("yearly", 6, "个", "at_least"),
        "star-night-visitors": ("cumulative", 3000, "人次", "more_than"),
        "steering-meetings": ("quarterly", 1, "次", "at_least"),
    }
    visitors = FICTIONAL.indicator("star-night-visitors")
    assert (visitors.pace.tolerance, visitors.pace.grace_days) == (0.2, 30)
    assert FICTIONAL.indicator("steering-meetings").first_year == 2025
    assert FICTIONAL.indicator("star-night-booths").pace.tolerance == 0.10  # the default


def test_tracking_indicators_derived_from_its_own_activity_type():
    tracking = {i.code: i.unit for i in FICTIONAL.all_indicators() if i.tracking}
    assert tracking == {"track.star_night.events": "次", "track.star_night.visitors": "人次"}


def test_organisation_hierarchy():
    assert FICTIONAL.organisation("qinglan-townships").kind == "town_category"
    assert {o.parent for o in FICTIONAL.organisations} == {None, "qinglan-gov"}


def test_figures_are_whole_when_every_quantity_feeding_them_counts_things():
    assert all(FICTIONAL.figures_whole().values())  # 个, 人次 and the implicit events: all counts
    assert {code for code, whole in DANGSHAN.figures_whole().items() if not whole} == {"literacy-rate"}  # %
    booths_not_whole = whole_figures(FICTIONAL.all_indicators(), ["visitors"])  # as if booths said `whole: false`
    assert not booths_not_whole["star-night-booths"] and booths_not_whole["star-night-visitors"]
    assert booths_not_whole["track.star_night.events"]
