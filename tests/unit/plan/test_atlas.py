"""The atlas: a deployment's regions as a tree and each region's plans one after another.

Fixtures: ``plans/`` (the seed county, 砀山县, with its 2021–2025 plan and the 2026–2030 example),
``tests/plans/regions/`` (the fictional 西云市 above 清河县 and 白沙县; its header says what rolls up)
and a single plan file (one region, as before regions). Broken deployments are the fixtures copied
to a temporary directory with one line of text changed.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from libs.common.plan import load_plan
from libs.common.plan.atlas import atlas_of, load_atlas, plan_files
from libs.common.plan.loader import PlanError

REPO_ROOT = Path(__file__).resolve().parents[3]
PLANS = REPO_ROOT / "plans"
SEED = PLANS / "dangshan-2021-2025.yaml"
NEXT = PLANS / "dangshan-2026-2030.yaml"
REGIONS = REPO_ROOT / "tests" / "plans" / "regions"
CITY, QINGHE, BAISHA = "xiyun-city-2026-2030.yaml", "qinghe-county-2026-2030.yaml", "baisha-county-2026-2030.yaml"

JUNE_2025 = dt.date(2025, 6, 30)  # inside the seed's plan
DECEMBER_2026 = dt.date(2026, 12, 6)  # the seed's plan has ended; the next one counts
AFTER_BOTH = dt.date(2031, 1, 1)  # after every plan: the latest stays readable
BEFORE_BOTH = dt.date(2020, 3, 1)  # before every plan: the first one


# --- the seed county: two plans in succession ------------------------------------------------------------
@pytest.fixture(scope="module")
def seed():
    return load_atlas(PLANS)


def test_the_plans_directory_is_one_region_with_two_plans_in_order(seed):
    assert list(seed.regions) == ["dangshan"] and seed.single
    assert [p.meta.code for p in seed.plans_of("dangshan")] == ["dangshan-2021-2025", "dangshan-2026-2030"]
    assert seed.regions["dangshan"].latest.meta.code == "dangshan-2026-2030"
    assert seed.roots == ["dangshan"] and seed.first_region == "dangshan"
    assert seed.years("dangshan") == list(range(2021, 2031))
    assert seed.source == str(PLANS)


@pytest.mark.parametrize("day,holding,current,year", [
    (JUNE_2025, "dangshan-2021-2025", "dangshan-2021-2025", 2025),
    (DECEMBER_2026, "dangshan-2026-2030", "dangshan-2026-2030", 2026),
    (AFTER_BOTH, None, "dangshan-2026-2030", 2030),
    (BEFORE_BOTH, None, "dangshan-2021-2025", 2021),
])
def test_each_day_belongs_to_the_plan_whose_period_holds_it(seed, day, holding, current, year):
    held = seed.plan_at("dangshan", day)
    assert (held.meta.code if held else None) == holding
    assert seed.current("dangshan", day).meta.code == current
    assert seed.year_in_plan("dangshan", day) == year


def test_plans_are_found_by_code_and_by_year(seed):
    assert seed.plan_by_code("dangshan-2026-2030").meta.period.start == 2026
    assert seed.plan_of_year("dangshan", 2025).meta.code == "dangshan-2021-2025"
    assert seed.plan_of_year("dangshan", 2026).meta.code == "dangshan-2026-2030"
    assert [p.meta.code for p in seed.all_plans()] == ["dangshan-2021-2025", "dangshan-2026-2030"]


def test_the_seed_countys_office_and_organisations_are_named_once(seed):
    assert seed.office_of("dangshan") == "leading-group-office"
    organisations = seed.organisations("dangshan")
    assert len(organisations) == len({o.code for _, o in organisations}) == 31
    assert seed.region_of("cast") == "dangshan" and seed.organisation("cast").name == "县科协"
    assert seed.region_of("a-town-registered-later") is None and seed.organisation("a-town-registered-later") is None


def test_the_next_plan_is_marked_as_example_data():
    text = NEXT.read_text(encoding="utf-8")
    plan = load_plan(NEXT)
    assert "EXAMPLE DATA" in text.split("\nplan:\n")[0] and "NOT a published plan" in text
    assert plan.meta.status == "示例数据（目标未公布，非正式文件）" and "示例" in plan.meta.title
    assert plan.meta.region.model_dump() == {"code": "dangshan", "name": "砀山县", "level": "county", "parent": None}
    assert plan.meta.period.years == [2026, 2027, 2028, 2029, 2030]


def test_the_next_plan_keeps_the_codes_dashboards_compare():
    before, after = load_plan(SEED), load_plan(NEXT)
    assert [(o.code, o.name, o.kind, o.parent) for o in after.organisations] == \
        [(o.code, o.name, o.kind, o.parent) for o in before.organisations]
    assert after.quantities == before.quantities and after.activity_types == before.activity_types
    assert after.reporting == before.reporting
    assert [(s.code, [m.code for m in s.measures]) for s in after.sections] == \
        [(s.code, [m.code for m in s.measures]) for s in before.sections]
    assert [(i.code, i.kind, i.unit, i.feeds, i.comparison) for i in after.indicators] == \
        [(i.code, i.kind, i.unit, i.feeds, i.comparison) for i in before.indicators]


def test_each_changed_target_of_the_next_plan_says_it_is_an_example():
    before = {i.code: i.target for i in load_plan(SEED).indicators}
    after = load_plan(NEXT)
    lines = NEXT.read_text(encoding="utf-8").splitlines()
    changed = [i.code for i in after.indicators if i.target != before[i.code]]
    assert len(changed) == 19  # all but the quarterly 调度会
    for code in changed:
        start = lines.index(f"  - code: {code}")
        target = next(line for line in lines[start:] if line.startswith("    target:"))
        assert "# 示例" in target, code


# --- a city and its two counties -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def regions():
    return load_atlas(REGIONS)


def test_the_city_is_the_root_and_the_counties_its_children(regions):
    assert set(regions.regions) == {"xiyun", "qinghe", "baisha"} and not regions.single
    assert regions.roots == ["xiyun"] and regions.first_region == "xiyun"
    assert sorted(regions.children("xiyun")) == ["baisha", "qinghe"]
    assert regions.children("qinghe") == [] and regions.parent("qinghe") == "xiyun" and regions.parent("xiyun") is None
    assert regions.region("qinghe").name == "清河县（虚构）" and regions.region("xiyun").level == "city"


def test_ancestors_subtree_and_within(regions):
    assert regions.ancestors("qinghe") == ["xiyun"] and regions.ancestors("xiyun") == []
    city = regions.subtree("xiyun")
    assert city[0] == "xiyun" and sorted(city) == ["baisha", "qinghe", "xiyun"]
    assert regions.subtree("baisha") == ["baisha"]
    assert regions.within("qinghe", "xiyun") and regions.within("xiyun", "xiyun")
    assert not regions.within("qinghe", "baisha") and not regions.within("xiyun", "qinghe")


def test_each_organisation_belongs_to_its_region_and_each_region_has_its_office(regions):
    assert regions.region_of("xiyun-edu") == "xiyun"
    assert regions.region_of("qinghe-cast") == "qinghe" and regions.region_of("baisha-cast") == "baisha"
    assert {r: regions.office_of(r) for r in regions.regions} == {
        "xiyun": "xiyun-office", "qinghe": "qinghe-office", "baisha": "baisha-office"}
    for region in regions.regions:
        assert all(o.code.startswith(f"{region}-") for _, o in regions.organisations(region))
    assert len(regions.organisations()) == sum(len(regions.organisations(r)) for r in regions.regions)


def test_the_city_and_counties_share_quantities_and_activity_types(regions):
    plans = [regions.regions[r].latest for r in ("xiyun", "qinghe", "baisha")]
    assert all(p.quantities == plans[0].quantities and p.activity_types == plans[0].activity_types for p in plans)
    assert {(q.code, q.unit) for q in plans[0].quantities} >= {("sessions", "场次"), ("trainees", "人")}


def test_the_city_rolls_up_its_caravan_tours_but_counts_only_its_own_training(regions):
    """As the header of xiyun-city-2026-2030.yaml says: 全市 caravan sessions over the subtree,
    the 市直单位 training target over the city's own organisations."""
    city = regions.regions["xiyun"].latest
    tours, training = city.indicator("city-caravan-sessions"), city.indicator("city-own-training")
    assert (tours.kind, tours.target, tours.rollup, tours.feeds[0].activity_type, tours.feeds[0].quantity) == \
        ("yearly", 50, "subtree", "caravan_tour", "sessions")
    assert (training.kind, training.rollup, training.feeds[0].activity_type, training.feeds[0].quantity) == \
        ("yearly", "own", "training", "trainees")
    assert all(regions.region_of(o) == "xiyun" for o in [*tours.responsible, *training.responsible])
    assert "rollup: subtree" in (REGIONS / CITY).read_text(encoding="utf-8")  # written out, not left to the default


def test_each_county_has_a_yearly_caravan_target_and_a_cumulative_trainees_target(regions):
    for county in ("qinghe", "baisha"):
        plan = regions.regions[county].latest
        tours, trainees = plan.indicator("caravan-tours"), plan.indicator("trainees")
        assert (tours.kind, tours.unit, trainees.kind, trainees.unit) == ("yearly", "场次", "cumulative", "人")
        assert tours.target >= 10 and tours.responsible and trainees.responsible
        assert all(regions.region_of(o) == county for o in [*tours.responsible, *trainees.responsible])


# --- a single file: one region, as before regions ---------------------------------------------------------
def test_a_single_file_is_one_region_with_one_plan():
    atlas = load_atlas(SEED)
    assert atlas.single and list(atlas.regions) == ["dangshan"] and atlas.first_region == "dangshan"
    assert [p.meta.code for p in atlas.plans_of("dangshan")] == ["dangshan-2021-2025"]
    assert atlas.current("dangshan", DECEMBER_2026).meta.code == "dangshan-2021-2025"  # ended, still readable
    assert atlas.plan_at("dangshan", DECEMBER_2026) is None
    assert atlas.year_in_plan("dangshan", DECEMBER_2026) == 2025
    assert plan_files(SEED) == [SEED]


def test_a_county_file_alone_is_the_root_of_its_own_tree():
    atlas = load_atlas(REPO_ROOT / "tests" / "plans" / "fictional-county.yaml")
    assert atlas.single and atlas.roots == ["qinglan"] and atlas.subtree("qinglan") == ["qinglan"]
    assert atlas.office_of("qinglan") is None  # the fictional county names no office


# --- refusals ------------------------------------------------------------------------------------------
def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(text, encoding="utf-8")
    return directory / name


def fixture(name: str, *edits: tuple[str, str]) -> str:
    """A region fixture's text with each (old, new) replaced; each old must be there."""
    text = (REGIONS / name).read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return text


def refusal(tmp_path: Path, files: dict[str, str]) -> str:
    for name, text in files.items():
        write(tmp_path, name, text)
    with pytest.raises(PlanError) as caught:
        load_atlas(tmp_path)
    return str(caught.value)


CITY_REGION = "region: {code: xiyun, name: 西云市（虚构）, level: city}"


def test_two_plans_of_one_region_may_not_overlap(tmp_path):
    later = fixture(CITY, ("code: xiyun-2026-2030", "code: xiyun-2029-2033"), ("{start: 2026, end: 2030}",
                                                                               "{start: 2029, end: 2033}"))
    message = refusal(tmp_path, {CITY: fixture(CITY), "xiyun-2029.yaml": later})
    assert "region xiyun: plans xiyun-2026-2030 (2026–2030) and xiyun-2029-2033 (2029–2033) overlap" in message


def test_plans_that_follow_each_other_are_accepted(tmp_path):
    later = fixture(CITY, ("code: xiyun-2026-2030", "code: xiyun-2031-2035"), ("{start: 2026, end: 2030}",
                                                                               "{start: 2031, end: 2035}"))
    write(tmp_path, CITY, fixture(CITY))
    write(tmp_path, "xiyun-2031.yaml", later)
    atlas = load_atlas(tmp_path)
    assert [p.meta.code for p in atlas.plans_of("xiyun")] == ["xiyun-2026-2030", "xiyun-2031-2035"]


def test_a_region_renamed_in_its_later_plan_reads_by_its_latest_name(tmp_path):
    later = fixture(CITY, ("code: xiyun-2026-2030", "code: xiyun-2031-2035"), ("{start: 2026, end: 2030}",
                    "{start: 2031, end: 2035}"), ("name: 西云市（虚构）", "name: 新西云市（虚构）"))
    write(tmp_path, CITY, fixture(CITY))
    write(tmp_path, "xiyun-2031.yaml", later)
    assert load_atlas(tmp_path).region("xiyun").name == "新西云市（虚构）"


def test_the_plans_of_one_region_may_not_name_different_parents(tmp_path):
    later = fixture(QINGHE, ("code: qinghe-2026-2030", "code: qinghe-2031-2035"), ("{start: 2026, end: 2030}",
                    "{start: 2031, end: 2035}"), (", parent: xiyun}", "}"))
    message = refusal(tmp_path, {CITY: fixture(CITY), QINGHE: fixture(QINGHE), "qinghe-2031.yaml": later})
    assert "region qinghe: its plans name different parents (None, xiyun)" in message


def test_a_parent_needs_a_plan_of_its_own(tmp_path):
    message = refusal(tmp_path, {QINGHE: fixture(QINGHE), BAISHA: fixture(BAISHA)})
    assert "region qinghe: parent xiyun has no plan here; known regions: baisha, qinghe" in message
    assert "region baisha: parent xiyun has no plan here" in message


def test_a_parent_is_of_a_higher_level(tmp_path):
    county_city = fixture(CITY, (CITY_REGION, CITY_REGION.replace("level: city", "level: county")))
    message = refusal(tmp_path, {CITY: county_city, QINGHE: fixture(QINGHE)})
    assert "region qinghe (county) cannot be under xiyun (county): a parent is a higher level" in message


def test_parents_may_not_loop(tmp_path):
    under_county = fixture(CITY, (CITY_REGION, CITY_REGION.replace("}", ", parent: qinghe}")))
    message = refusal(tmp_path, {CITY: under_county, QINGHE: fixture(QINGHE)})
    assert "region xiyun: its parents loop back (xiyun)" in message
    assert "region qinghe: its parents loop back (qinghe)" in message
    assert "region xiyun (city) cannot be under qinghe (county)" in message


def test_a_region_may_not_be_its_own_parent(tmp_path):
    own_parent = fixture(CITY, (CITY_REGION, CITY_REGION.replace("}", ", parent: xiyun}")))
    message = refusal(tmp_path, {CITY: own_parent})
    assert "region xiyun: its parents loop back (xiyun)" in message


def test_an_organisation_code_belongs_to_one_region(tmp_path):
    borrowed = fixture(BAISHA, ("baisha-cast", "qinghe-cast"))
    message = refusal(tmp_path, {CITY: fixture(CITY), QINGHE: fixture(QINGHE), BAISHA: borrowed})
    assert re.search(r"organisation qinghe-cast is named by the plans of (qinghe|baisha) and of (baisha|qinghe); "
                     r"codes are one namespace across regions: prefix one \(e\.g\. (baisha|qinghe)-qinghe-cast\)",
                     message), message
    assert message.count("organisation ") == 1


def test_the_same_plan_may_not_be_loaded_twice(tmp_path):
    message = refusal(tmp_path, {CITY: fixture(CITY), QINGHE: fixture(QINGHE), "qinghe-copy.yaml": fixture(QINGHE)})
    assert "plan qinghe-2026-2030 is loaded twice" in message


def test_an_empty_directory_is_refused(tmp_path):
    with pytest.raises(PlanError) as caught:
        load_atlas(tmp_path)
    assert str(caught.value) == f"{tmp_path}: <root>: no *.yaml plan file in this directory"
    with pytest.raises(PlanError, match="no plan file: a deployment follows at least one plan"):
        atlas_of([])


def test_a_directory_of_other_files_is_as_empty(tmp_path):
    write(tmp_path, "notes.txt", "not a plan")
    write(tmp_path / "older", CITY, fixture(CITY))  # not directly in the directory
    with pytest.raises(PlanError, match=r"no \*\.yaml plan file in this directory"):
        load_atlas(tmp_path)


def line_of(text: str, needle: str, after: str = "") -> int:
    """The 1-based line of the first ``needle`` at or below the first ``after``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    return next(i for i, line in enumerate(lines[start:], start) if needle in line) + 1


def test_a_broken_file_among_good_ones_is_named_with_its_line(tmp_path):
    broken = fixture(BAISHA, ("    target: 12\n", "    target: -12\n"))
    message = refusal(tmp_path, {CITY: fixture(CITY), QINGHE: fixture(QINGHE), BAISHA: broken})
    line = line_of(broken, "target: -12")
    assert message.startswith(f"{tmp_path / BAISHA}:{line}: indicators[0].target: ")
    assert CITY not in message and QINGHE not in message


def test_each_broken_file_keeps_its_own_file_and_line(tmp_path):
    broken_city = fixture(CITY, ("    rollup: own", "    rollup: mine"))
    broken_county = fixture(BAISHA, ("    target: 12\n", "    target: -12\n"))
    message = refusal(tmp_path, {CITY: broken_city, QINGHE: fixture(QINGHE), BAISHA: broken_county})
    assert f"{tmp_path / CITY}:{line_of(broken_city, '    rollup: mine')}: indicators[1].rollup: " in message
    assert f"{tmp_path / BAISHA}:{line_of(broken_county, 'target: -12')}: indicators[0].target: " in message
    assert QINGHE not in message
