"""The test that keeps dashboards honest: a real project-local Prometheus (started by `kepu run`)
scrapes a running system loaded with `kepu demo`; every panel query of every dashboard, with
each variable set to a real value, must evaluate without error and return series. Every
alerting rule's expression must evaluate, on metrics that exist. And both sides of "silence is
not zero": a true zero (no deliveries on a channel kind nobody has) reads 0, while a period
nobody submitted reads no value at all (a submitted one, even a nil report, has its figure)."""
from __future__ import annotations

import json
import os
import re

import pytest
import requests
import yaml

from libs.common.settings import REPO_ROOT
from libs.localenv.ports import free_port, free_range
from libs.localenv.testenv import TEST_BROKER
from tests.e2e.system import kepu, start_system, stop_system
from tests.eventually import eventually

pytestmark = pytest.mark.e2e
BOARDS = sorted((REPO_ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
RULES = sorted((REPO_ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))
YEAR = "2024"


@pytest.fixture(scope="module")
def prometheus(vhost_pipeline, broker_uris, tmp_path_factory):
    """`kepu run` with its Prometheus, on its own vhost, loaded with a demo year; yields the API URL."""
    from urllib.parse import urlsplit

    with vhost_pipeline.get() as vhost:
        parts = urlsplit(broker_uris[0])
        port = free_port()
        metrics_port = int(os.environ.get("KEPU_TEST_BROKER_METRICS_PORT", TEST_BROKER["broker_metrics_port"]))
        env = {**os.environ, "KEPU_AMQP_URI": f"{parts.scheme}://{parts.netloc}/{vhost}", "KEPU_MANAGE_BROKER": "false",
               "KEPU_VAR_DIR": str(tmp_path_factory.mktemp("dashboards")), "KEPU_GRPC_PORT": str(free_port()),
               "KEPU_METRICS_PORT_BASE": str(free_range(10)), "KEPU_AS_OF": "2024-10-15",
               # two of each service: every replica exports the same figures, and no join may fail on it
               "KEPU_REPLICAS": "2",
               "KEPU_PROMETHEUS": "true", "KEPU_PROMETHEUS_PORT": str(port),
               "KEPU_BROKER_METRICS_PORT": str(metrics_port), "KEPU_ALERT_GROUP_WAIT": "0",
               "KEPU_ALERT_WORKING_HOURS": "always", "KEPU_ALERT_WORKING_DAYS": "1-7",
               "KEPU_EVALUATE_INTERVAL": "3600", "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
        proc, banner = start_system(env)
        try:
            assert f"http://127.0.0.1:{port}/" in banner  # `make run` prints where Prometheus is
            demo = kepu(env, "demo")
            assert "example activities stored" in demo.stdout
            url = f"http://127.0.0.1:{port}"
            # the demo's figures, the towns' and the rules' results have been scraped and evaluated
            for series in ("kepu_town_participants", "kepu_organisation_info", 'kepu:indicator_target_share',
                           "kepu_gateway_request_seconds_bucket", "kepu_alert_deliveries_total",
                           "kepu_period_activities"):
                eventually(lambda s=series: query(url, s), timeout=60, what=f"{series} in Prometheus")
            scraped = scrapes(url)  # two more scrapes of every target: rates over the demo have two points each
            eventually(lambda: all(scrapes(url).get(target, 0) >= n + 2 for target, n in scraped.items()),
                       timeout=60, what="two more scrapes of every target")
            yield url
        finally:
            stop_system(proc)


def scrapes(url: str) -> dict[tuple[str, str], float]:
    """How often Prometheus has scraped each of its targets (``up`` has one sample a scrape)."""
    return {(r["metric"]["job"], r["metric"]["instance"]): float(r["value"][1])
            for r in query(url, "count_over_time(up[1h])")}


def query(url: str, expr: str) -> list:
    answer = requests.get(f"{url}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert answer["status"] == "success", f"{expr}: {answer.get('error')}"
    return answer["data"]["result"]


def variable_values(url: str, board: dict) -> dict[str, str]:
    """Each variable set to a real value: its label_values query answered by Prometheus."""
    values = {}
    for var in board["templating"]["list"]:
        metric, label = re.fullmatch(r"label_values\((\w+), (\w+)\)", var["query"]).groups()
        found = requests.get(f"{url}/api/v1/label/{label}/values", params={"match[]": metric}, timeout=10).json()
        options = sorted(found["data"])
        if var["regex"]:
            pattern = var["regex"].strip("/")
            options = [m.group(1) if m.groups() else v for v in options if (m := re.fullmatch(pattern, v))]
        assert options, f"variable {var['name']}: {var['query']} has no values"
        values[var["name"]] = YEAR if var["name"] == "year" and YEAR in options else options[0]
    return values


def substitute(expr: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        expr = expr.replace(f"${{{name}}}", value).replace(f"${name}", value)
    return expr


@pytest.mark.parametrize("path", BOARDS, ids=lambda p: p.stem)
def test_every_panel_query_returns_series(prometheus, path):
    board = json.loads(path.read_text(encoding="utf-8"))
    values = variable_values(prometheus, board)
    empty = []
    for panel in board["panels"]:
        for target in panel["targets"]:
            expr = substitute(target["expr"], values)
            if not query(prometheus, expr):
                empty.append(f"{panel['title']}: {expr}")
    assert not empty, f"with {values}, these return no series:\n" + "\n".join(empty)


def evaluated(url: str) -> list | None:
    """Prometheus's rule groups once every rule has been evaluated at least once, else None."""
    groups = requests.get(f"{url}/api/v1/rules", timeout=10).json()["data"]["groups"]
    return None if any(r["health"] == "unknown" for g in groups for r in g["rules"]) else groups


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.stem)
def test_every_rule_evaluates_on_metrics_that_exist(prometheus, path):
    for group in yaml.safe_load(path.read_text())["groups"]:
        for rule in group["rules"]:
            query(prometheus, rule["expr"])  # evaluates without error
            for metric in set(re.findall(r"\b(?:kepu|rabbitmq)_[a-z_]+|\bup\b", rule["expr"])):
                assert query(prometheus, f"count({metric})"), f"{rule.get('alert') or rule['record']}: no {metric}"
    # a group's first evaluation comes up to one interval (1 min) after Prometheus loaded it: until then
    # its rules' health is "unknown", which is neither a pass nor a failure
    alerts = eventually(lambda: evaluated(prometheus), timeout=120, every=1,
                        what="every rule group evaluated once")
    assert {g["name"] for g in alerts} >= {g["name"] for g in yaml.safe_load(path.read_text())["groups"]}
    assert all(r["health"] == "ok" for g in alerts for r in g["rules"]), [
        (r["name"], r.get("lastError")) for g in alerts for r in g["rules"] if r["health"] != "ok"]


def panel_targets(board: str, title: str) -> list[str]:
    panels = json.loads((REPO_ROOT / "deploy" / "grafana" / "dashboards" / f"{board}.json").read_text(encoding="utf-8"))
    return next(([t["expr"] for t in p["targets"]] for p in panels["panels"] if p["title"] == title))


def test_a_true_zero_reads_0_on_the_deliveries_panel_not_no_data(prometheus):
    """The demo registers no channels: every channel kind but the log has delivered nothing, and says so."""
    [expr] = panel_targets("pipeline-health", "预警投递（次/小时，按渠道与结果）")
    found = {(r["metric"]["channel"], r["metric"]["outcome"]): float(r["value"][1]) for r in query(prometheus, expr)}
    for kind in ("webhook", "wecom", "dingtalk", "email"):
        assert found.get((kind, "sent")) == 0, (kind, found)


def test_a_missing_period_has_no_value_while_a_submitted_one_even_nil_has_its_figure(prometheus):
    """kepu demo on 2024-10-15 submitted each unit's 2024Q3 (towns: 本期无活动) and left some
    earlier quarters missing; the department board's 报送情况 table reads them as they are."""
    state_expr, activities_expr = panel_targets("department", "报送情况（本年度各期）")
    states = {(r["metric"]["org"], r["metric"]["period"]): float(r["value"][1])
              for r in query(prometheus, state_expr.replace('org="$org"', 'org=~".+"'))}
    missing = sorted(key for key, code in states.items() if code == 4)
    assert missing, "the demo leaves some periods missing"

    def figures(org: str) -> dict[str, float]:
        return {r["metric"]["period"]: float(r["value"][1])
                for r in query(prometheus, substitute(activities_expr, {"org": org}))}

    for org, period in missing:
        assert period not in figures(org), f"{org} {period} was never submitted, yet it has a figure"
    town = figures("demo-town-1")  # nil reports: true zeros
    assert town["2024Q3"] == 0 and set(town.values()) == {0.0}
    org = next(org for org, _ in missing if states[(org, "2024Q3")] == 2)  # on time, with its activities
    assert "2024Q3" in figures(org)
