"""Regions through a real `kepu run`: a fictional city (西云市) over two fictional counties (清河县,
白沙县), each with its own plan, organisations and office (tests/plans/regions). Reports through
the gateway count in their county and roll up to the city as each plan says; each office reads its
region and those below, never a neighbour's; the metrics carry the region.

Expected figures come from the reports below and the city plan's comments (which targets count the
subtree and which the city's own units), not from the code.
"""
from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

from libs.cli.common import wait_until_activities_know
from libs.cli.orgs import issue_token
from libs.common.rpc import ClusterRpcProxy
from libs.common.settings import REPO_ROOT
from libs.localenv.ports import free_port, free_range
from tests.e2e.system import Driver, start_system, stop_system, wait_for_metric

pytestmark = pytest.mark.e2e
AS_OF = "2026-06-30"
TOWNS = {"qinghe-town-a": ("示例乡甲", "qinghe-towns"), "baisha-town-a": ("示例乡乙", "baisha-towns")}


@pytest.fixture(scope="module")
def regions(vhost_pipeline, broker_uris, tmp_path_factory):
    """`kepu run` over the three fictional plans, with a town per county and a token per office and unit."""
    with vhost_pipeline.get() as vhost:
        parts = urlsplit(broker_uris[0])
        amqp = f"{parts.scheme}://{parts.netloc}/{vhost}"
        env = {**os.environ, "KEPU_AMQP_URI": amqp, "KEPU_MANAGE_BROKER": "false",
               "KEPU_VAR_DIR": str(tmp_path_factory.mktemp("regions")), "KEPU_GRPC_PORT": str(free_port()),
               "KEPU_METRICS_PORT_BASE": str(free_range(6)), "KEPU_AS_OF": AS_OF, "KEPU_EVALUATE_INTERVAL": "3600",
               "KEPU_PLAN_FILE": str(REPO_ROOT / "tests" / "plans" / "regions"), "PYTHONUNBUFFERED": "1"}
        proc, _ = start_system(env)
        driver = Driver(f"127.0.0.1:{env['KEPU_GRPC_PORT']}")
        try:
            with ClusterRpcProxy({"AMQP_URI": amqp}, timeout=30) as rpc:
                for code, (name, parent) in TOWNS.items():
                    rpc.organisations.register_org({"code": code, "name": name, "kind": "town", "parent": parent,
                                                    "is_example": True})
                assert wait_until_activities_know(rpc, list(TOWNS))
                tokens = {org: issue_token(rpc.organisations, org, "test", role)[0] for org, role in (
                    ("qinghe-cast", "reporter"), ("baisha-cast", "reporter"), ("xiyun-cast", "reporter"),
                    ("xiyun-edu", "reporter"), ("qinghe-agriculture", "reporter"), ("qinghe-office", "admin"),
                    ("baisha-office", "admin"), ("xiyun-office", "admin"))}
            yield {"env": env, "driver": driver, "tokens": tokens}
        finally:
            driver.close()
            stop_system(proc)


def report(driver: Driver, token: str, activity_type: str, ext: str, town: str = "", **quantities) -> dict:
    return driver.call("ReportActivity", token, {"activity_type": activity_type, "start_date": "2026-05-01",
                                                 "external_id": ext, "town": town, "quantities": quantities})


def series(region: str, indicator: str, scope: str, window: str = "2026") -> str:
    return f'kepu_indicator_actual{{indicator="{indicator}",region="{region}",scope="{scope}",window="{window}"}}'


def progress(driver: Driver, token: str, indicator: str, region: str = "") -> dict:
    answer = driver.ok("ListProgress", token, {"year": 2026, "indicator": indicator, "region": region})
    (item,) = answer["indicators"]
    return item


@pytest.fixture(scope="module")
def reported(regions):
    d, t = regions["driver"], regions["tokens"]
    for token, activity_type, ext, town, quantities in (
            ("qinghe-cast", "caravan_tour", "q1", "qinghe-town-a", {"sessions": 3}),
            ("qinghe-agriculture", "training", "q2", "", {"trainees": 30}),
            ("baisha-cast", "caravan_tour", "b1", "baisha-town-a", {"sessions": 5}),
            ("xiyun-cast", "caravan_tour", "x1", "", {"sessions": 2}),
            ("xiyun-edu", "training", "x2", "", {"trainees": 15})):
        answer = report(d, t[token], activity_type, ext, town, **quantities)
        assert answer["ok"], answer
    env = regions["env"]
    assert wait_for_metric(env, "indicators", series("xiyun", "city-caravan-sessions", "xiyun"), 10.0) == 10.0
    return regions


def test_reports_count_in_their_county_and_roll_up_to_the_city_as_its_plan_says(reported):
    env = reported["env"]
    assert wait_for_metric(env, "indicators", series("qinghe", "caravan-tours", "qinghe"), 3.0) == 3.0
    assert wait_for_metric(env, "indicators", series("baisha", "caravan-tours", "baisha"), 5.0) == 5.0
    # subtree: 3 + 5 + the city's own 2; own: the city's 15 trainees, not 清河县's 30
    assert wait_for_metric(env, "indicators", series("xiyun", "city-own-training", "xiyun"), 15.0) == 15.0
    assert wait_for_metric(env, "indicators", series("xiyun", "city-caravan-sessions", "region:qinghe"), 3.0) == 3.0
    assert wait_for_metric(env, "indicators", series("qinghe", "trainees", "qinghe", "2026-2030"), 30.0) == 30.0


def test_the_city_office_sees_both_counties_side_by_side_and_may_read_each(reported):
    d, t = reported["driver"], reported["tokens"]
    city = progress(d, t["xiyun-office"], "city-caravan-sessions")
    assert city["total"]["actual"] == 10 and city["target"] == 50
    assert {r["scope"]: r["actual"] for r in city["by_region"]} == {"region:qinghe": 3, "region:baisha": 5}
    assert progress(d, t["xiyun-office"], "caravan-tours", "baisha")["total"]["actual"] == 5
    plan = d.ok("GetPlan", t["xiyun-office"], {})
    assert plan["region_code"] == "xiyun" and {c["code"] for c in plan["children"]} == {"qinghe", "baisha"}


def test_a_county_office_reads_its_county_and_nothing_of_its_neighbour(reported):
    d, t = reported["driver"], reported["tokens"]
    mine = progress(d, t["qinghe-office"], "caravan-tours")
    assert mine["total"]["actual"] == 3
    shares = {r["scope"]: r.get("actual") for r in mine["by_org"]}  # the responsible units' shares: 清河县's only
    assert shares["org:qinghe-cast"] == 3 and all(s.startswith("org:qinghe-") for s in shares)
    for region in ("baisha", "xiyun"):
        refused = d.call("ListProgress", t["qinghe-office"], {"year": 2026, "region": region})
        assert refused["code"] == "PERMISSION_DENIED" and "region" in refused["message"]
    listed = d.ok("ListActivities", t["qinghe-office"], {"page_size": 100})["activities"]
    assert {a["org"] for a in listed} == {"qinghe-cast", "qinghe-agriculture"}
    everyone = d.ok("ListActivities", t["xiyun-office"], {"page_size": 100})["activities"]
    assert {a["org"] for a in everyone} == {"qinghe-cast", "qinghe-agriculture", "baisha-cast", "xiyun-cast",
                                            "xiyun-edu"}
    neighbours = next(a for a in everyone if a["org"] == "baisha-cast")
    assert d.call("GetActivity", t["qinghe-office"], {"activity_id": neighbours["activity_id"]})["code"] == \
        "PERMISSION_DENIED"
    orgs = {o["code"] for o in d.ok("ListOrganisations", t["qinghe-office"], {"page_size": 500})["organisations"]}
    assert "qinghe-edu" in orgs and "qinghe-town-a" in orgs and not any(o.startswith(("baisha", "xiyun"))
                                                                        for o in orgs)


def test_a_town_of_another_county_is_refused_beside_its_field(reported):
    d, t = reported["driver"], reported["tokens"]
    refused = report(d, t["qinghe-cast"], "caravan_tour", "q-wrong-town", "baisha-town-a", sessions=1)
    assert refused["code"] == "INVALID_ARGUMENT"
    assert [field for field, _ in refused["violations"]] == ["town"]
