"""The test that keeps dashboards honest: a real project-local Prometheus (started by `kepu run`)
scrapes a running system loaded with `kepu demo`; every panel query of every dashboard, with
each variable set to a real value, must evaluate without error and return series. Every
alerting rule's expression must evaluate, on metrics that exist. And both sides of "silence is
not zero": a true zero (no deliveries on a channel kind nobody has) reads 0, while a period
nobody submitted reads no value at all (a submitted one, even a nil report, has its figure).

A second system follows a fictional city above two fictional counties (tests/plans/regions) in
2026: the dashboards' region variable offers the city first, a query of one county never shows its
neighbour's figures (both have caravan-tours, with targets 10 and 12), and the city's 下级地区对比
names both counties."""
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
SEED = {"region": "dangshan"}  # the seed county's system: its one region


REGIONS_PLANS = REPO_ROOT / "tests" / "plans" / "regions"
SUBREGION_PANELS = {"下级地区对比", "下级地区对比：占本级目标（%）"}  # empty for a region with none below


def running_prometheus(vhost_pipeline, broker_uris, tmp_path_factory, demos: list[list[str]], **settings: str):
    """`kepu run` with its Prometheus, on its own vhost, loaded by ``demos`` (`kepu demo` arguments);
    yields the API URL once the demo's figures have been scraped and the rules evaluated."""
    from urllib.parse import urlsplit

    with vhost_pipeline.get() as vhost:
        parts = urlsplit(broker_uris[0])
        port = free_port()
        metrics_port = int(os.environ.get("KEPU_TEST_BROKER_METRICS_PORT", TEST_BROKER["broker_metrics_port"]))
        env = {**os.environ, "KEPU_AMQP_URI": f"{parts.scheme}://{parts.netloc}/{vhost}", "KEPU_MANAGE_BROKER": "false",
               "KEPU_VAR_DIR": str(tmp_path_factory.mktemp("dashboards")), "KEPU_GRPC_PORT": str(free_port()),
               "KEPU_METRICS_PORT_BASE": str(free_range(10)),
               "KEPU_PROMETHEUS": "true", "KEPU_PROMETHEUS_PORT": str(port),
               "KEPU_BROKER_METRICS_PORT": str(metrics_port), "KEPU_ALERT_GROUP_WAIT": "0",
               "KEPU_ALERT_WORKING_HOURS": "always", "KEPU_ALERT_WORKING_DAYS": "1-7",
               "KEPU_EVALUATE_INTERVAL": "3600", "PYTHONUNBUFFERED": "1", "COLUMNS": "200", **settings}
        proc, banner = start_system(env)
        try:
            assert f"http://127.0.0.1:{port}/" in banner  # `make run` prints where Prometheus is
            for args in demos:
                assert "example activities stored" in kepu(env, "demo", *args).stdout
            url = f"http://127.0.0.1:{port}"
            # the demo's figures, the towns' and the rules' results have been scraped and evaluated
            for series in ("kepu_town_participants", "kepu_organisation_info", 'kepu:indicator_target_share',
                           "kepu_gateway_request_seconds_bucket", "kepu_alert_deliveries_total",
                           "kepu_period_activities", "kepu_plan_info"):
                eventually(lambda s=series: query(url, s), timeout=60, what=f"{series} in Prometheus")
            scraped = scrapes(url)  # two more scrapes of every target: rates over the demo have two points each
            eventually(lambda: all(scrapes(url).get(target, 0) >= n + 2 for target, n in scraped.items()),
                       timeout=60, what="two more scrapes of every target")
            yield url
        finally:
            stop_system(proc)


@pytest.fixture(scope="module")
def prometheus(vhost_pipeline, broker_uris, tmp_path_factory):
    """The seed county alone (one region, its two plans), a demo year on 2024-10-15, two of each
    service: every replica exports the same figures, and no join may fail on it."""
    yield from running_prometheus(vhost_pipeline, broker_uris, tmp_path_factory, [[]],
                                  KEPU_AS_OF="2024-10-15", KEPU_REPLICAS="2")


@pytest.fixture(scope="module")
def regions_prometheus(vhost_pipeline, broker_uris, tmp_path_factory):
    """A fictional city and its two counties, each with a demo of 2026 up to 2026-10-15."""
    yield from running_prometheus(vhost_pipeline, broker_uris, tmp_path_factory,
                                  [["--region", code, "--towns", "2"] for code in ("xiyun", "qinghe", "baisha")],
                                  KEPU_AS_OF="2026-10-15", KEPU_REPLICAS="1", KEPU_PLAN_FILE=str(REGIONS_PLANS))


def scrapes(url: str) -> dict[tuple[str, str], float]:
    """How often Prometheus has scraped each of its targets (``up`` has one sample a scrape)."""
    return {(r["metric"]["job"], r["metric"]["instance"]): float(r["value"][1])
            for r in query(url, "count_over_time(up[1h])")}


def query(url: str, expr: str) -> list:
    answer = requests.get(f"{url}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert answer["status"] == "success", f"{expr}: {answer.get('error')}"
    return answer["data"]["result"]


def variable_options(url: str, var: dict, values: dict[str, str]) -> list[str]:
    """What Grafana offers for a query variable, earlier variables substituted: label_values
    (sorted as the variable says), or query_result lines with the regex's ``value`` group (in the
    query's order)."""
    query_text = substitute(var["query"], values)
    if found := re.fullmatch(r"query_result\((.+)\)", query_text):
        lines = ["{" + ",".join(f'{k}="{v}"' for k, v in r["metric"].items()) + "}" for r in query(url, found.group(1))]
        pattern = re.compile(var["regex"].strip("/").replace("(?<", "(?P<"))
        return [m.group("value") for line in lines if (m := pattern.search(line))]
    metric, label = re.fullmatch(r"label_values\((.+), (\w+)\)", query_text).groups()
    found = requests.get(f"{url}/api/v1/label/{label}/values", params={"match[]": metric}, timeout=10).json()
    options = sorted(found["data"], reverse=var["sort"] == 2)
    if var["regex"]:
        pattern = var["regex"].strip("/")
        options = [m.group(1) if m.groups() else v for v in options if (m := re.fullmatch(pattern, v))]
    return options


def variable_values(url: str, board: dict, year: str = YEAR, **chosen: str) -> dict[str, str]:
    """Each variable set to a real value: the first option Grafana offers (its default), the
    ``year`` when offered, or the value ``chosen`` (which must be offered)."""
    values: dict[str, str] = {}
    for var in board["templating"]["list"]:
        options = variable_options(url, var, values)
        assert options, f"variable {var['name']}: {var['query']} has no values"
        wanted = chosen.get(var["name"]) or (year if var["name"] == "year" else None)
        assert var["name"] not in chosen or wanted in options, (var["name"], wanted, options)
        values[var["name"]] = wanted if wanted in options else options[0]
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
            if not query(prometheus, expr) and panel["title"] not in SUBREGION_PANELS:
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
              for r in query(prometheus, substitute(state_expr.replace('org="$org"', 'org=~".+"'), SEED))}
    missing = sorted(key for key, code in states.items() if code == 4)
    assert missing, "the demo leaves some periods missing"

    def figures(org: str) -> dict[str, float]:
        return {r["metric"]["period"]: float(r["value"][1])
                for r in query(prometheus, substitute(activities_expr, {**SEED, "org": org}))}

    for org, period in missing:
        assert period not in figures(org), f"{org} {period} was never submitted, yet it has a figure"
    town = figures("demo-town-1")  # nil reports: true zeros
    assert town["2024Q3"] == 0 and set(town.values()) == {0.0}
    org = next(org for org, _ in missing if states[(org, "2024Q3")] == 2)  # on time, with its activities
    assert "2024Q3" in figures(org)


def board(name: str) -> dict:
    return json.loads((REPO_ROOT / "deploy" / "grafana" / "dashboards" / f"{name}.json").read_text(encoding="utf-8"))


def panel_query(board_: dict, title: str, ref: str = "A") -> str:
    return next(t["expr"] for p in board_["panels"] if p["title"] == title for t in p["targets"] if t["refId"] == ref)


def test_the_region_variable_offers_the_top_region_first_and_the_seed_county_alone(prometheus, regions_prometheus):
    overview = board("plan-overview")
    region = overview["templating"]["list"][0]
    offered = variable_options(regions_prometheus, region, {})
    assert offered[0] == "xiyun" and sorted(offered) == ["baisha", "qinghe", "xiyun"]  # the city, then its counties
    assert variable_options(prometheus, region, {}) == ["dangshan"]
    # the seed county's years: every begun year of its plans, as the year variable offers them
    year = overview["templating"]["list"][1]
    assert {"2021", "2022", "2023", "2024"} <= set(variable_options(prometheus, year, {"region": "dangshan"}))
    assert variable_options(regions_prometheus, year, {"region": "qinghe"}) == ["2026"]


@pytest.mark.parametrize("path", BOARDS, ids=lambda p: p.stem)
def test_every_indicator_panel_returns_series_for_the_city(regions_prometheus, path):
    """The city (the default region) and its year 2026: every panel on its indicators has data,
    its counties side by side included."""
    board_ = json.loads(path.read_text(encoding="utf-8"))
    values = variable_values(regions_prometheus, board_, year="2026")
    assert values.get("region", "xiyun") == "xiyun"
    empty = [f"{p['title']}: {substitute(t['expr'], values)}" for p in board_["panels"] for t in p["targets"]
             if "indicator" in t["expr"] and "track[.]" not in t["expr"]  # the fictional plans track nothing
             and not query(regions_prometheus, substitute(t["expr"], values))]
    assert not empty, f"with {values}, these return no series:\n" + "\n".join(empty)


def test_a_county_s_panels_never_show_its_neighbour_s_figures(regions_prometheus):
    """清河县 and 白沙县 both have caravan-tours (targets 10 and 12): each county's overview shows
    its own target and its own figures only, the target share computed against its own target."""
    overview = board("plan-overview")
    for county, target_ in (("qinghe", 10.0), ("baisha", 12.0)):
        values = variable_values(regions_prometheus, overview, year="2026", region=county)
        by_ref = {ref: query(regions_prometheus, substitute(panel_query(overview, "规划目标一览（最差在前）", ref), values))
                  for ref in "ABEG"}
        for ref, rows in by_ref.items():
            assert rows and {r["metric"]["region"] for r in rows} == {county}, (ref, rows)
        targets = {r["metric"]["indicator"]: float(r["value"][1]) for r in by_ref["G"] if r["metric"]["window"] == "2026"}
        assert targets["caravan-tours"] == target_
        actual = next(float(r["value"][1]) for r in by_ref["E"]
                      if (r["metric"]["indicator"], r["metric"]["window"]) == ("caravan-tours", "2026"))
        share = next(float(r["value"][1]) for r in by_ref["B"]
                     if (r["metric"]["indicator"], r["metric"]["window"]) == ("caravan-tours", "2026"))
        assert actual > 0 and share == pytest.approx(100 * actual / target_)


def test_the_city_s_counties_side_by_side_are_named_and_equal_their_own_figures(regions_prometheus):
    """The city's 下级地区对比: both counties by name, each one's part of 全市科普大篷车巡展 the
    caravan sessions it counts itself (every plan feeds them from caravan_tour sessions)."""
    overview = board("plan-overview")
    values = variable_values(regions_prometheus, overview, year="2026")
    rows = query(regions_prometheus, substitute(panel_query(overview, "下级地区对比"), values))
    parts = {r["metric"]["child"]: float(r["value"][1]) for r in rows
             if (r["metric"]["indicator"], r["metric"]["window"]) == ("city-caravan-sessions", "2026")}
    assert {r["metric"]["child_name"] for r in rows} == {"清河县（虚构）", "白沙县（虚构）"}
    assert {r["metric"]["region"] for r in rows} == {"xiyun"}
    own = query(regions_prometheus, 'max by (region) (kepu_indicator_actual{indicator="caravan-tours", window="2026", '
                                    'scope=~"qinghe|baisha"})')  # each county's own figure: scope = its code
    assert parts == {r["metric"]["region"]: float(r["value"][1]) for r in own}
    shares = query(regions_prometheus, substitute(panel_query(overview, "下级地区对比：占本级目标（%）"), values))
    assert {r["metric"]["child_name"] for r in shares} == {"清河县（虚构）", "白沙县（虚构）"}


def test_a_county_s_reporting_and_towns_panels_list_its_own_units_and_towns_only(regions_prometheus):
    """Activities name each figure's region (an organisation's, a town's) and organisations its
    registry's: a county's 报送情况 lists its own units, its towns board its own towns, never the
    neighbour's (both counties ran a demo with towns)."""
    overview, towns = board("plan-overview"), board("towns")
    for county in ("qinghe", "baisha"):
        own = {r["metric"]["org"] for r in query(regions_prometheus, f'kepu_organisation_info{{region="{county}"}}')}
        values = variable_values(regions_prometheus, overview, year="2026", region=county)
        units = {r["metric"]["org"] for r in query(
            regions_prometheus, substitute(panel_query(overview, "报送情况（各单位，本年度）"), values))}
        assert units and units <= own, (county, units - own)
        values = variable_values(regions_prometheus, towns, year="2026", region=county)
        shown = {r["metric"]["town"] for r in query(regions_prometheus, substitute(panel_query(towns, "各镇明细"), values))}
        assert shown and shown <= own and all(t.startswith(f"{county}-") for t in shown), (county, shown)
