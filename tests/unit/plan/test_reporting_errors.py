"""Mistakes in `reporting:` and in campaign seasons are reported with their line and what to write."""
from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
import yaml

from libs.common.plan import PlanError
from libs.common.plan.loader import parse_plan
from libs.common.plan.schema import DEFAULT_DUTY

REPO_ROOT = Path(__file__).resolve().parents[3]
BASE = yaml.safe_load((REPO_ROOT / "tests" / "plans" / "fictional-county.yaml").read_text(encoding="utf-8"))


def dump(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def mutated(edit) -> dict:
    data = copy.deepcopy(BASE)
    edit(data)
    return data


def one_problem(data: dict):
    """The single problem of a plan, and the text of the line it names."""
    text = dump(data)
    with pytest.raises(PlanError) as info:
        parse_plan(text, "plan.yaml")
    problems = info.value.problems
    assert len(problems) == 1, [p.render("plan.yaml") for p in problems]
    (p,) = problems
    return p, text.splitlines()[p.line - 1].strip()


def rule(i: int, **changes):
    return lambda d: d["reporting"]["rules"][i].update(changes)


def test_a_plan_without_reporting_gets_the_default_for_everyone():
    plan = parse_plan(dump(mutated(lambda d: d.pop("reporting"))))
    assert plan.reporting.default == DEFAULT_DUTY
    assert (DEFAULT_DUTY.every, DEFAULT_DUTY.due_working_days) == ("quarter", 10)
    assert plan.reporting.rules == [] and plan.reporting.exempt == []
    assert plan.reporting.remind_working_days_before == 3


def test_reporting_every_must_be_a_known_period():
    p, line = one_problem(mutated(rule(0, every="weekly")))
    assert p.path == "reporting.rules[0].every"
    assert "'month', 'quarter', 'half_year' or 'year'" in p.message
    assert "weekly" in line


@pytest.mark.parametrize("days,says", [(0, "greater than or equal to 1"), (61, "less than or equal to 60")])
def test_due_working_days_lie_between_1_and_60(days, says):
    p, line = one_problem(mutated(lambda d: d["reporting"]["default"].update(due_working_days=days)))
    assert p.path == "reporting.default.due_working_days"
    assert says in p.message


def test_a_rule_must_name_kinds_or_orgs():
    p, line = one_problem(mutated(lambda d: d["reporting"]["rules"].append({"every": "year", "due_working_days": 5})))
    assert p.path == "reporting.rules[3]"
    assert "add kinds: [department] and/or orgs: [<organisation code>]" in p.message
    assert line.startswith("- every: year")


def test_a_rule_names_declared_organisations():
    p, line = one_problem(mutated(rule(2, orgs=["qinglan-science-association", "qinglan-town-a"])))
    assert p.path == "reporting.rules[2].orgs[1]"
    assert p.message == ("organisation 'qinglan-town-a' is not declared: name a declared organisation, or give towns "
                         "(registered later) a duty with kinds: [town]")
    assert line == "- qinglan-town-a"


def test_the_town_slot_is_not_a_reporter():
    p, _ = one_problem(mutated(rule(2, orgs=["qinglan-townships"])))
    assert p.path == "reporting.rules[2].orgs[0]"
    assert "write kinds: [town] to give every town this duty" in p.message
    p, _ = one_problem(mutated(rule(1, kinds=["town_category"])))
    assert p.path == "reporting.rules[1].kinds[0]"
    assert "write kinds: [town]" in p.message


def test_an_unknown_kind_lists_the_kinds():
    p, line = one_problem(mutated(rule(0, kinds=["departments"])))
    assert p.path == "reporting.rules[0].kinds[0]"
    assert "'department'" in p.message and "'town'" in p.message
    assert line == "- departments"


def test_a_kind_or_an_organisation_has_one_rule():
    p, line = one_problem(mutated(rule(1, kinds=["town", "department"])))
    assert p.path == "reporting.rules[1].kinds[1]"
    assert p.message == "kind 'department' already has a duty in reporting.rules[0]: name it in one rule only"
    assert line == "- department"
    p, _ = one_problem(mutated(lambda d: d["reporting"]["rules"].append(
        {"orgs": ["qinglan-science-association"], "every": "year", "due_working_days": 5})))
    assert p.path == "reporting.rules[3].orgs[0]"
    assert "already has a duty in reporting.rules[2]" in p.message


def test_exempt_units_are_declared_and_have_no_rule():
    p, line = one_problem(mutated(lambda d: d["reporting"].update(exempt=["nobody"])))
    assert p.path == "reporting.exempt[0]" and "'nobody' is not declared" in p.message and line == "- nobody"
    p, _ = one_problem(mutated(lambda d: d["reporting"].update(exempt=["qinglan-science-association"])))
    assert p.path == "reporting.exempt[0]"
    assert "is exempt but reporting.rules[2] gives it a duty: remove it from one of them" in p.message


def test_unknown_reporting_key():
    p, line = one_problem(mutated(lambda d: d["reporting"].update(remind_days=2)))
    assert p.path == "reporting.remind_days" and "Extra inputs are not permitted" in p.message
    assert line.startswith("remind_days:")


def season(**value):
    return lambda d: d["activity_types"][0].update(season=value)


@pytest.mark.parametrize("value,says", [
    ({"from": "08-32", "to": "08-31"}, "'08-32' is not a day of the year: write MM-DD (05-12) or a month (May, 5月)"),
    ({"from": "02-29", "to": "03-31"}, "02-29 is not in every year: write 02-28 or 03-01"),
    ({"from": "Augst", "to": "08-31"}, "'Augst' is not a day of the year"),
    ({"from": "13月", "to": "08-31"}, "'13月' is not a month"),
    ({"from": 8, "to": "08-31"}, "8 is not a day of the year"),
])
def test_a_season_day_is_mm_dd_or_a_month(value, says):
    p, line = one_problem(mutated(season(**value)))
    assert p.path == "activity_types[0].season.from"
    assert says in p.message
    assert line.startswith("from:")


@pytest.mark.parametrize("first", [dt.date(2025, 8, 1), "2025-08-01"])
def test_a_season_is_the_same_days_every_year(first):
    p, line = one_problem(mutated(season(**{"from": first, "to": "08-31"})))
    assert "a season is the same days every year: write 08-01 without the year" in p.message
    assert "2025-08-01" in line


def test_a_season_lies_within_one_year():
    p, line = one_problem(mutated(season(**{"from": "12-20", "to": "01-10"})))
    assert p.path == "activity_types[0].season"
    assert "the season ends (01-10) before it starts (12-20)" in p.message and "write from ≤ to" in p.message
    assert line == "season:"


@pytest.mark.parametrize("value,days", [
    ({"from": "August", "to": "Sep"}, ("08-01", "09-30")),
    ({"from": "8月", "to": "8月"}, ("08-01", "08-31")),
    ({"from": "2-1", "to": "february"}, ("02-01", "02-28")),
])
def test_a_month_stands_for_its_first_or_last_day(value, days):
    plan = parse_plan(dump(mutated(season(**value))))
    s = plan.activity_types[0].season
    assert (s.starts, s.ends) == days


def test_a_season_needs_someone_expected():
    def edit(d):
        d["activity_types"][1]["season"] = {"from": "03-01", "to": "03-31"}
        d["indicators"][2]["responsible"] = []
    p, line = one_problem(mutated(edit))
    assert p.path == "activity_types[1].season"
    assert "who is expected to take part in 'steering_meeting''s season?" in p.message
    assert "add expected_from: [organisation codes, or kinds such as department or town]" in p.message


def test_expected_from_names_organisations_or_kinds():
    p, line = one_problem(mutated(lambda d: d["activity_types"][0].update(
        expected_from=["qinglan-library", "town", "libraries"])))
    assert p.path == "activity_types[0].expected_from[2]"
    assert p.message.startswith("'libraries' is neither a declared organisation nor a kind (government, office,")
    assert line == "- libraries"


def test_expected_from_the_town_slot_means_town():
    p, _ = one_problem(mutated(lambda d: d["activity_types"][0].update(expected_from=["qinglan-townships"])))
    assert "write town to expect every town" in p.message


def test_expected_from_needs_a_season():
    p, line = one_problem(mutated(lambda d: d["activity_types"][1].update(expected_from=["qinglan-library"])))
    assert p.path == "activity_types[1].expected_from"
    assert "add season: {from: MM-DD, to: MM-DD}, or remove expected_from" in p.message
    assert line == "expected_from:"
