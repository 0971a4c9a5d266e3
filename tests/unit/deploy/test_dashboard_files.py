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
