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
                assert "kepu_reporting_expected_periods)) > 0)" in expr, title
