"""Every class of plan-file error is reported with its path, a clear message and its line."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from libs.common.plan import PlanError, load_plan
from libs.common.plan.loader import parse_plan

REPO_ROOT = Path(__file__).resolve().parents[3]
BASE = yaml.safe_load((REPO_ROOT / "tests" / "plans" / "fictional-county.yaml").read_text(encoding="utf-8"))


def dump(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def problems_of(data: dict) -> tuple[list, str]:
    text = dump(data)
    with pytest.raises(PlanError) as info:
        parse_plan(text, "plan.yaml")
    return info.value.problems, text


def one_problem(data: dict):
    problems, text = problems_of(data)
    assert len(problems) == 1, [p.render("plan.yaml") for p in problems]
    return problems[0], text.splitlines()


def mutated(edit) -> dict:
    data = copy.deepcopy(BASE)
    edit(data)
    return data


def test_base_is_valid():
    parse_plan(dump(BASE))


def test_unknown_key():
    p, lines = one_problem(mutated(lambda d: d["indicators"][0].update(colour="red")))
    assert p.path == "indicators[0].colour"
    assert "Extra inputs are not permitted" in p.message
    assert lines[p.line - 1].strip().startswith("colour:")


def test_unknown_top_level_key():
    p, lines = one_problem(mutated(lambda d: d.update(indicator=[])))
    assert p.path == "indicator"
    assert lines[p.line - 1].startswith("indicator:")


def test_missing_unit():
    p, lines = one_problem(mutated(lambda d: d["indicators"][1].pop("unit")))
    assert p.path == "indicators[1].unit"
    assert p.message == "Field required"
    assert "code: star-night-visitors" in lines[p.line - 1]  # the indicator that lacks it


@pytest.mark.parametrize("target", [0, -3])
def test_non_positive_target(target):
    p, lines = one_problem(mutated(lambda d: d["indicators"][0].update(target=target)))
    assert p.path == "indicators[0].target"
    assert "greater than 0" in p.message
    assert lines[p.line - 1].strip() == f"target: {target}"


def test_undeclared_activity_type():
    p, lines = one_problem(mutated(lambda d: d["indicators"][2]["feeds"][0].update(activity_type="moon_party")))
    assert p.path == "indicators[2].feeds[0].activity_type"
    assert p.message == "activity type 'moon_party' is not declared"
    assert "moon_party" in lines[p.line - 1]


@pytest.mark.parametrize("where,path", [
    (lambda d: d["indicators"][0]["responsible"].append("nobody"), "indicators[0].responsible[2]"),
    (lambda d: d["sections"][0]["lead_units"].append("nobody"), "sections[0].lead_units[2]"),
    (lambda d: d["sections"][1]["measures"][0]["responsible"].append("nobody"),
     "sections[1].measures[0].responsible[1]"),
    (lambda d: d["organisations"][1].update(parent="nobody"), "organisations[1].parent"),
])
def test_undeclared_organisation(where, path):
    p, lines = one_problem(mutated(where))
    assert p.path == path
    assert p.message == "organisation 'nobody' is not declared"
    assert "nobody" in lines[p.line - 1]


@pytest.mark.parametrize("key,year", [("first_year", 2023), ("last_year", 2027)])
def test_year_outside_the_period(key, year):
    p, lines = one_problem(mutated(lambda d: d["indicators"][0].update({key: year})))
    assert p.path == f"indicators[0].{key}"
    assert p.message == f"year {year} is outside the plan period 2024-2026"
    assert lines[p.line - 1].strip() == f"{key}: {year}"


def test_due_date_outside_the_period():
    p, _ = one_problem(mutated(lambda d: d["indicators"][1]["pace"].update(due="2027-03-31")))
    assert p.path == "indicators[1].pace.due"
    assert p.message == "due date 2027-03-31 is outside the plan period"


def test_window_years_reversed():
    p, _ = one_problem(mutated(lambda d: d["indicators"][0].update(first_year=2026, last_year=2025)))
    assert p.path == "indicators[0].last_year"
    assert "before first year 2026" in p.message


def test_period_reversed():
    p, _ = one_problem(mutated(lambda d: d["plan"]["period"].update(start=2027)))
    assert p.path == "plan.period"
    assert "end year 2026 is before start year 2027" in p.message


def test_unit_mismatch():
    p, lines = one_problem(mutated(lambda d: d["indicators"][0].update(unit="场次")))
    assert p.path == "indicators[0].unit"
    assert p.message == "unit '场次' does not match quantity 'booths' ('个')"
    assert lines[p.line - 1].strip() == "unit: 场次"


def test_unit_mismatch_with_events():
    p, _ = one_problem(mutated(lambda d: d["indicators"][2].update(unit="场")))
    assert p.path == "indicators[2].unit"
    assert p.message == "unit '场' does not match quantity 'events' ('次')"


def test_quantity_the_activity_type_does_not_carry():
    def edit(d):
        d["indicators"][2]["feeds"][0]["quantity"] = "booths"
        d["indicators"][2]["unit"] = "个"
    p, _ = one_problem(mutated(edit))
    assert p.path == "indicators[2].feeds[0].quantity"
    assert p.message == "activity type 'steering_meeting' does not carry quantity 'booths'"


def test_undeclared_quantity_and_untracked_track():
    def edit(d):
        d["activity_types"][1]["quantities"].append("kilograms")
        d["activity_types"][1]["track"] = ["booths"]
    problems, _ = problems_of(mutated(edit))
    assert {(p.path, p.message) for p in problems} == {
        ("activity_types[1].quantities[1]", "quantity 'kilograms' is not declared"),
        ("activity_types[1].track[0]", "tracks 'booths', which activity type 'steering_meeting' does not carry"),
    }


def test_duplicate_codes():
    def edit(d):
        d["indicators"][1]["code"] = "star-night-booths"
        d["sections"][1]["measures"][0]["code"] = "night-sky-1"
    problems, _ = problems_of(mutated(edit))
    assert {(p.path, p.message) for p in problems} >= {
        ("indicators[1].code", "duplicate code 'star-night-booths'"),
        ("sections[1].measures[0].code", "duplicate measure code 'night-sky-1'"),
    }


def test_measure_of_another_section():
    p, _ = one_problem(mutated(lambda d: d["indicators"][0].update(measure="steering-1")))
    assert p.path == "indicators[0].measure"
    assert p.message == "measure 'steering-1' is not in section 'night-sky'"


def test_reserved_tracking_code():
    p, _ = one_problem(mutated(lambda d: d["indicators"][0].update(code="track.star_night.booths")))
    assert p.path == "indicators[0].code"
    assert "reserved for tracking indicators" in p.message


def test_tracking_only_for_yearly():
    p, _ = one_problem(mutated(lambda d: d["indicators"][2].pop("target")))
    assert p.path == "indicators[2].target"
    assert p.message == "only yearly indicators may omit the target (tracking)"


def test_bad_literal_and_code_pattern():
    def edit(d):
        d["indicators"][0]["kind"] = "monthly"
        d["indicators"][1]["code"] = "Star Night"
    problems, _ = problems_of(mutated(edit))
    paths = {p.path: p.message for p in problems}
    assert "'yearly', 'quarterly', 'cumulative' or 'stock'" in paths["indicators[0].kind"]
    assert "pattern" in paths["indicators[1].code"]


def test_every_problem_is_reported_at_once():
    def edit(d):
        d["indicators"][0]["colour"] = "red"
        d["indicators"][1]["target"] = 0
    problems, _ = problems_of(mutated(edit))
    assert {p.path for p in problems} == {"indicators[0].colour", "indicators[1].target"}


def test_duplicate_key_is_an_error_not_silently_dropped():
    text = dump(BASE).replace("  target: 6\n", "  target: 6\n  target: 8\n", 1)
    with pytest.raises(PlanError) as info:
        parse_plan(text, "plan.yaml")
    (p,) = info.value.problems
    assert p.path == "indicators[0].target"
    assert p.message == "duplicate key 'target'"
    assert text.splitlines()[p.line - 1].strip() == "target: 8"


def test_malformed_yaml_gives_the_line():
    text = dump(BASE).splitlines()
    bad_line = next(i for i, line in enumerate(text) if line.strip() == "target: 6")
    text[bad_line] = "  target: [6"
    with pytest.raises(PlanError) as info:
        parse_plan("\n".join(text), "plan.yaml")
    (p,) = info.value.problems
    assert p.message.startswith("malformed YAML:")
    assert p.line is not None and p.line > bad_line
    bad_indent = "plan:\n  code: x\n title: y\n"
    with pytest.raises(PlanError) as info:
        parse_plan(bad_indent, "plan.yaml")
    assert info.value.problems[0].line == 3
    assert str(info.value).startswith("plan.yaml:3: <root>: malformed YAML")


def test_not_a_mapping():
    with pytest.raises(PlanError) as info:
        parse_plan("- just\n- a list\n", "plan.yaml")
    assert info.value.problems[0].message == "a plan file must be a mapping at the top level"


def test_rendered_error_names_file_line_and_path(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(dump(mutated(lambda d: d["indicators"][0].update(target=0))), encoding="utf-8")
    with pytest.raises(PlanError) as info:
        load_plan(path)
    (p,) = info.value.problems
    assert str(info.value) == f"{path}:{p.line}: indicators[0].target: {p.message}"


def test_missing_file(tmp_path):
    with pytest.raises(PlanError) as info:
        load_plan(tmp_path / "nope.yaml")
    assert "cannot read the plan file" in str(info.value)


def test_due_date_only_for_cumulative_and_stock():
    p, _ = one_problem(mutated(lambda d: d["indicators"][0].update(pace={"due": "2025-06-30"})))
    assert p.path == "indicators[0].pace.due" and "monthly_weights" in p.message


def test_stock_aggregation_only_for_stock():
    p, _ = one_problem(mutated(lambda d: d["indicators"][0].update(stock_aggregation="sum_per_reporter")))
    assert p.path == "indicators[0].stock_aggregation"


def test_schema_and_reference_errors_are_reported_in_one_run():
    def edit(d):
        d["indicators"][0]["target"] = -6
        d["indicators"][1]["responsible"] = ["nobody", "nobody-else"]

    problems, _ = problems_of(mutated(edit))
    assert sorted(p.path for p in problems) == [
        "indicators[0].target", "indicators[1].responsible[0]", "indicators[1].responsible[1]"]


def test_an_item_that_fails_the_schema_is_not_also_reported_as_undeclared():
    def edit(d):
        d["activity_types"][0]["category"] = "festival"  # invalid, but it is declared

    problems, _ = problems_of(mutated(edit))
    assert [p.path for p in problems] == ["activity_types[0].category"]


BOMB = "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))


@pytest.mark.parametrize("text,says,line", [
    ("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + BOMB, "aliases expand the file beyond", 6),
    ("plan: &p\n  loop: [*p]\n", "alias *p is used inside its own anchor", 2),
    ("x: " + "[" * 200 + "]" * 200 + "\n", "nested deeper than 32 levels", 1),
])
def test_a_hostile_file_is_refused_at_once_with_its_line(text, says, line):
    """A 300-byte alias bomb once took 20 s and 2 GB; recursion and deep nesting ended in tracebacks."""
    with pytest.raises(PlanError) as info:
        parse_plan(text, "hostile.yaml")
    (p,) = info.value.problems
    assert says in p.message and p.line == line, str(info.value)


def test_the_seed_plan_may_still_share_a_list_through_an_alias():
    plan = load_plan(REPO_ROOT / "plans" / "dangshan-2021-2025.yaml")
    assert len({tuple(i.responsible) for i in plan.indicators}) > 1


def test_a_file_that_is_not_utf8_names_the_line_of_the_first_bad_byte(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes("plan:\n  name: test\n".encode() + "  title: 砀山县\n".encode("gb18030"))
    with pytest.raises(PlanError) as info:
        load_plan(path)
    assert str(info.value).startswith(f"{path}:3: <root>: not UTF-8 text (byte 0xed)")


@pytest.mark.parametrize("filler", ["x", "砀"])  # the limit is in bytes, whatever the characters
def test_a_file_larger_than_any_plan_is_not_read_whole(tmp_path, filler):
    path = tmp_path / "huge.yaml"
    path.write_text("# " + filler * (1024 * 1024) + "\n" + "# " + filler * (1024 * 1024) + "\n", encoding="utf-8")
    with pytest.raises(PlanError, match="larger than 2048 KB"):
        load_plan(path)
