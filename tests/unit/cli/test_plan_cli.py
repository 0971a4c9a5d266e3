"""``kepu plan validate|show|export``, driven through typer's CliRunner."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from libs.cli.plan import app
from libs.common.plan import load_plan
from libs.common.plan.schema import Plan
from libs.common.settings import get_settings

REPO_ROOT = Path(__file__).resolve().parents[3]
DANGSHAN = REPO_ROOT / "plans" / "dangshan-2021-2025.yaml"
FICTIONAL = REPO_ROOT / "tests" / "plans" / "fictional-county.yaml"
WIDE = {"COLUMNS": "250"}  # rich wraps table cells to the terminal width


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, list(args), env=env)


@pytest.fixture
def default_plan(monkeypatch):
    """Point settings.plan_file (KEPU_PLAN_FILE) at the fictional plan."""
    monkeypatch.setenv("KEPU_PLAN_FILE", str(FICTIONAL))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def summary(stdout: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(r"^  (\S+(?: \S+)*?)\s{2,}(.+)$", stdout, re.M)}


def test_validate_fictional_summary():
    result = run("validate", str(FICTIONAL))
    assert result.exit_code == 0, result.output
    assert f"{FICTIONAL} is valid" in result.stdout
    rows = summary(result.stdout)
    assert rows["organisations"] == "4"
    assert rows["sections"] == "2"
    assert rows["measures"] == "2"
    assert rows["activity types"] == "2"
    assert rows["indicators"] == "3 (yearly 1, quarterly 1, cumulative 1, stock 0)"
    assert rows["tracking indicators"] == "2"
    assert rows["period"] == "2024–2026"
    assert result.stderr == ""


def test_validate_dangshan_summary():
    result = run("validate", str(DANGSHAN))
    assert result.exit_code == 0, result.output
    rows = summary(result.stdout)
    assert rows["organisations"] == "31"
    assert rows["indicators"] == "20 (yearly 7, quarterly 1, cumulative 7, stock 5)"
    assert rows["tracking indicators"] == "27"
    assert "砀山县全民科学素质行动规划纲要实施方案（2021-2025年）（征求意见稿）" in rows["plan"]


def write_broken(tmp_path, *replacements: tuple[str, str]) -> tuple[Path, list[str]]:
    text = FICTIONAL.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new, 1)
    broken = tmp_path / "broken.yaml"
    broken.write_text(text, encoding="utf-8")
    return broken, text.splitlines()


def line_of(lines: list[str], needle: str) -> int:
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def test_validate_reports_every_schema_error_on_stderr(tmp_path):
    broken, lines = write_broken(tmp_path, ("    target: 6\n", "    target: 0\n"),
                                 ("    kind: quarterly\n", "    kind: quarterly\n    colour: red\n"))
    result = run("validate", str(broken), env={"COLUMNS": "40"})
    assert result.exit_code == 1
    assert "valid" not in result.stdout
    err = result.stderr.splitlines()  # one line per problem, never wrapped, whatever the width
    assert f"{broken}:{line_of(lines, 'target: 0')}: indicators[0].target: Input should be greater than 0" in err
    assert f"{broken}:{line_of(lines, 'colour: red')}: indicators[2].colour: Extra inputs are not permitted" in err
    assert err[-1].endswith(f"2 problems in {broken}")


def test_validate_reports_every_reference_error_on_stderr(tmp_path):
    broken, lines = write_broken(
        tmp_path,
        ("feeds: [{activity_type: steering_meeting,", "feeds: [{activity_type: moon_party,"),
        ("responsible: [qinglan-science-association, qinglan-library]\n    section",
         "responsible: [qinglan-science-association, nobody]\n    section"),
    )
    result = run("validate", str(broken))
    assert result.exit_code == 1
    err = result.stderr.splitlines()
    assert (f"{broken}:{line_of(lines, 'moon_party')}: indicators[2].feeds[0].activity_type: "
            "activity type 'moon_party' is not declared") in err
    assert (f"{broken}:{line_of(lines, 'nobody')}: indicators[0].responsible[1]: "
            "organisation 'nobody' is not declared") in err


def test_validate_malformed_yaml(tmp_path):
    broken = tmp_path / "bad.yaml"
    broken.write_text("plan:\n  code: x\n title: y\n", encoding="utf-8")
    result = run("validate", str(broken))
    assert result.exit_code == 1
    assert f"{broken}:3: <root>: malformed YAML" in result.stderr


def test_validate_missing_file(tmp_path):
    result = run("validate", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert "cannot read the plan file" in result.stderr


def test_validate_defaults_to_settings_plan_file(default_plan):
    result = run("validate")
    assert result.exit_code == 0, result.output
    assert f"{FICTIONAL} is valid" in result.stdout
    assert "qinglan-2024-2026" in result.stdout


def test_show_sections_and_indicators():
    result = run("show", str(DANGSHAN), env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "砀山县全民科学素质行动规划纲要实施方案（2021-2025年）" in out
    row = next(line for line in out.splitlines() if " youth " in line)
    assert "青少年科学素质提升行动" in row and "县教育局、县科协、各镇（园区）" in row
    row = next(line for line in out.splitlines() if " caravan-tours " in line)
    assert "科普大篷车巡展" in row and "yearly" in row and "≥ 10 场次" in row and "县科协" in row
    row = next(line for line in out.splitlines() if " registered-volunteers " in line)
    assert "stock" in row and "> 20000 人" in row and "县委组织部" in row
    row = next(line for line in out.splitlines() if " leadership-meetings " in line)
    assert "quarterly" in row and "≥ 1 次" in row and "县全民科学素质工作领导小组办公室" in row
    assert "literacy-rate" in out and "≥ 13 %" in out
    assert "27 tracking indicators" in out and "全国科普日" in out


def row_of(out: str, needle: str) -> str:
    return next(line for line in out.splitlines() if needle in line)


def test_show_reporting_duties_and_campaign_seasons():
    result = run("show", str(DANGSHAN), env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Reporting (报送要求)" in out
    row = row_of(out, "所有办公室、部门、群团及其他单位")
    assert "每季度" in row and "期后第 10 个工作日" in row
    assert "每季度" in row_of(out, "所有镇（园区）")
    assert "其他单位（默认）" in out
    assert "不报送：县人民政府、县全民科学素质工作领导小组、县全民科学素质工作领导小组各成员单位" in out
    assert "截止前 3 个工作日提醒" in out
    assert "Seasons (活动时段)" in out
    row = row_of(out, " national_science_day ")
    assert "全国科普日" in row and "9月1日–9月30日" in row and "县科协、县科技局" in row
    row = row_of(out, " disaster_reduction_day ")
    assert "5月6日–5月18日" in row and "县应急局" in row


def test_show_orders_duties_as_they_are_looked_up_and_marks_derived_participants():
    result = run("show", str(FICTIONAL), env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    table = next(i for i, line in enumerate(out) if "Reporting (报送要求)" in line)
    rows = [next(i for i, line in enumerate(out) if i > table and who in line)
            for who in ("│ 青岚县科协 ", "│ 所有部门 ", "│ 其他单位（默认） ")]
    assert rows == sorted(rows)  # a named unit, then kinds, then the default
    assert "每半年" in out[rows[0]] and "期后第 15 个工作日" in out[rows[0]]
    assert "每月" in out[rows[1]] and "期后第 5 个工作日" in out[rows[1]]
    row = row_of(result.stdout, " star_night ")
    assert "8月1日–8月31日" in row and "青岚县科协、青岚县图书馆（指标责任单位）" in row


def test_show_default_file_and_narrow_terminal(default_plan):
    result = run("show", env={"COLUMNS": "60"})
    assert result.exit_code == 0, result.output
    assert "star-night-booths" in result.stdout  # codes never wrap
    assert "steering-meetings" in result.stdout


def test_show_broken_file_exits_1(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("plan: {}\n", encoding="utf-8")
    result = run("show", str(broken))
    assert result.exit_code == 1
    assert "plan.code: Field required" in result.stderr


def test_export_json_parses_back():
    result = run("export", str(DANGSHAN), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    tracking = data.pop("tracking_indicators")
    assert len(tracking) == 27
    assert {t["code"] for t in tracking} >= {"track.national_science_day.events", "track.earth_day.participants"}
    assert all(t["target"] is None and t["kind"] == "yearly" for t in tracking)
    assert Plan.model_validate(data) == load_plan(DANGSHAN)  # the normalised plan is the plan
    caravan = next(i for i in data["indicators"] if i["code"] == "caravan-tours")
    assert caravan["target"] == 10 and caravan["pace"]["tolerance"] == 0.1  # defaults are filled in


def test_export_yaml_matches_json(default_plan):
    as_yaml = run("export", "-f", "yaml")
    as_json = run("export")
    assert as_yaml.exit_code == as_json.exit_code == 0
    assert yaml.safe_load(as_yaml.stdout) == json.loads(as_json.stdout)
    assert "青岚县" in as_yaml.stdout  # unicode, not escapes
    assert json.loads(as_json.stdout)["plan"]["code"] == "qinglan-2024-2026"


def test_export_rejects_unknown_format():
    result = run("export", str(FICTIONAL), "--format", "xml")
    assert result.exit_code == 2


def test_show_says_how_the_assessment_weighs_targets(tmp_path):
    result = run("show", str(FICTIONAL), env=WIDE)
    assert result.exit_code == 0, result.output
    assert "考核权重：各项指标相同" in result.stdout
    assert "weight (考核权重)" not in result.stdout  # no weight column when every target weighs the same
    weighed = tmp_path / "weighed.yaml"
    weighed.write_text(FICTIONAL.read_text(encoding="utf-8")
                       + "\nassessment: {weights: {star-night-booths: 3}, default_weight: 2}\n", encoding="utf-8")
    result = run("show", str(weighed), env=WIDE)
    assert result.exit_code == 0, result.output
    assert "weight (考核权重)" in result.stdout
    assert row_of(result.stdout, " star-night-booths ").rstrip(" │").endswith("3")
    assert row_of(result.stdout, " steering-meetings ").rstrip(" │").endswith("2")
    assert "考核权重：观星展位3，其余指标各2" in result.stdout
