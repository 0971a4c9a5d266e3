"""The generated dashboards: committed JSON fresh, every panel titled in Chinese, on the
provisioned data source, using only variables its dashboard defines. (Whether every query
returns data is tests/e2e/test_dashboards.py, against a real Prometheus.)"""
from __future__ import annotations

import json
import re

import pytest
import yaml

from libs.common.settings import REPO_ROOT
from libs.dashboards.generate import OUT, render

RENDERED = render()
DATASOURCE = yaml.safe_load((REPO_ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_committed_json_is_what_the_code_makes():
    committed = {p.name: p.read_text(encoding="utf-8") for p in OUT.glob("*.json")}
    assert committed.keys() == RENDERED.keys(), "run `make dashboards` and commit deploy/grafana/dashboards"
    for name, text in RENDERED.items():
        assert committed[name] == text, f"{name} is stale: run `make dashboards` and commit the result"


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_every_panel_is_titled_in_chinese_on_the_provisioned_source(name):
    board = json.loads(RENDERED[name])
    uid = DATASOURCE["datasources"][0]["uid"]
    assert CJK.search(board["title"])
    defined = {v["name"] for v in board["templating"]["list"]}
    for panel in board["panels"]:
        assert CJK.search(panel["title"]), panel["title"]
        assert panel["datasource"]["uid"] == uid
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid
            used = set(re.findall(r"\$\{?(\w+)", target["expr"])) - {"1"}
            assert used <= defined, f"{panel['title']}: {used - defined} not defined"


def panels(name: str) -> dict[str, list[str]]:
    """Panel title → its query expressions, of one rendered dashboard."""
    return {p["title"]: [t["expr"] for t in p["targets"]] for p in json.loads(RENDERED[name])["panels"]}


def test_the_department_shows_its_reporting_periods_and_the_overview_each_unit_s_completeness():
    department, overview = panels("department.json"), panels("plan-overview.json")
    assert any("kepu_period_activities" in e for e in department["报送情况（本年度各期）"])
    assert any("kepu_reporting_period_state_code" in e for e in department["报送情况（本年度各期）"])
    for title in ("本年应报送（期）", "已报送（期）", "按时报送（期）"):
        assert title in department
    share = overview["各单位报送完成率（%，最低在前）"][0]
    assert share.startswith("sort(") and "kepu_reporting_expected_periods" in share


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_no_reporting_panel_turns_a_missing_period_into_zero(name):
    """A missing period is no value: no reporting query is padded with `or vector(0)`, and a share
    is never divided by an expected count of zero."""
    for title, exprs in panels(name).items():
        for expr in exprs:
            if "kepu_reporting_" in expr or "kepu_period_activities" in expr:
                assert "vector(0)" not in expr, title
            if "/" in expr and "kepu_reporting_expected_periods" in expr:
                assert re.search(r"kepu_reporting_expected_periods(\{[^}]*\})?\)\) > 0\)", expr), title


INDICATOR_SERIES = re.compile(r"\b(kepu_indicator_\w+|kepu:indicator_\w+)(\{[^}]*\})?")


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_every_indicator_query_is_of_the_chosen_region_and_every_join_carries_it(name):
    """Two regions' plans may give one indicator code different targets: every indicator selector
    is filtered by the region variable, and no join or aggregation on indicator leaves region out."""
    board = json.loads(RENDERED[name])
    for title, exprs in panels(name).items():
        for expr in exprs:
            for metric, selector in INDICATOR_SERIES.findall(expr):
                assert 'region="$region"' in selector, f"{title}: {metric}{selector}"
            for clause in re.findall(r"\b(?:on|by) ?\(([a-z_, ]+)\)", expr):
                labels = {label.strip() for label in clause.split(",")}
                assert "indicator" not in labels or "region" in labels, f"{title}: ({clause})"
    if any(INDICATOR_SERIES.search(e) for exprs in panels(name).values() for e in exprs):
        assert board["templating"]["list"][0]["name"] == "region"


REGIONAL_SERIES = re.compile(r"\b(kepu_reporting_\w+|kepu_period_activities|kepu_town_\w+|kepu_activities_recorded_total"
                             r"|kepu_activity_last_recorded_timestamp_seconds|kepu_organisation_info|kepu_alerts_firing)"
                             r"(\{[^}]*\})?")


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_reporting_town_organisation_and_alert_series_are_of_the_chosen_region(name):
    """Each of these series names its organisation's (or alert's) region: a board with the region
    variable shows the chosen region's only, the towns board included."""
    board = json.loads(RENDERED[name])
    regional = [(title, metric + selector) for title, exprs in panels(name).items() for expr in exprs
                for metric, selector in REGIONAL_SERIES.findall(expr)]
    if board["templating"]["list"] and board["templating"]["list"][0]["name"] == "region":
        assert all('region="$region"' in series for _, series in regional), regional
    if name == "towns.json":
        assert [v["name"] for v in board["templating"]["list"]] == ["region", "year"]
        assert 'region="$region"' in board["templating"]["list"][1]["query"]
        assert regional


def test_the_region_variable_offers_the_top_region_first_by_its_name():
    region = json.loads(RENDERED["plan-overview.json"])["templating"]["list"][0]
    assert region["query"].startswith("query_result(sort_desc(") and "kepu_plan_info" in region["query"]
    assert "(?<value>" in region["regex"] and "region_name=\"(?<text>" in region["regex"]
    assert region["sort"] == 0  # the query's order: province, cities, counties


def test_the_overview_shows_the_regions_below_side_by_side_by_name():
    overview = panels("plan-overview.json")
    for title in ("下级地区对比", "下级地区对比：占本级目标（%）"):
        for expr in overview[title]:
            assert 'scope=~"region:.+"' in expr and 'group_left(child_name)' in expr, expr
