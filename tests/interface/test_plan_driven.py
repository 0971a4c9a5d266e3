"""The plan is data: another county's plan drives the same services, and a changed target
re-evaluates on reload without losing what was counted."""
from __future__ import annotations

import datetime as dt
import shutil

import pytest

from libs.common.rpc import ClusterRpcProxy
from libs.common.settings import REPO_ROOT
from services.activities.service import ActivitiesService
from services.indicators.service import IndicatorsService
from services.notifications.service import NotificationsService
from services.organisations.service import OrganisationsService
from tests.interface.helpers import declare, wait_until

FICTIONAL = REPO_ROOT / "tests" / "plans" / "fictional-county.yaml"


@pytest.fixture
def start(container_factory, settings):
    def run(plan_file, as_of: dt.date, *services):
        config = settings.model_copy(update={"plan_file": plan_file, "as_of": as_of}).nameko_config()
        declare(settings.amqp_uri)
        for cls in services:
            container_factory(cls, config).start()
        return ClusterRpcProxy(config, timeout=10)

    return run


def progress(rpc, indicator: str, window: str, scope: str) -> dict | None:
    return next((r for r in rpc.indicators.get_progress(indicator, scope) if r["window"] == window), None)


def test_a_fictional_county_runs_on_the_same_code(start):
    services = (OrganisationsService, ActivitiesService, IndicatorsService, NotificationsService)
    with start(FICTIONAL, dt.date(2025, 3, 31), *services) as rpc:
        assert {o["code"] for o in rpc.organisations.list_orgs()} >= {"qinglan", "qinglan-science-association"}
        rpc.activities.record_activity({"org": "qinglan-library", "org_kind": "body", "role": "reporter"}, {
            "activity_type": "star_night", "start_date": "2025-03-01", "quantities": {"booths": 2, "visitors": 150}})
        booths = wait_until(lambda: (p := progress(rpc, "star-night-booths", "2025", "qinglan")) and p["actual"] and p)
        assert booths["actual"] == 2 and booths["target"] == 6 and booths["status"] == "on_track"
        visits = wait_until(lambda: progress(rpc, "track.star_night.visitors", "2025", "org:qinglan-library"))
        assert visits["actual"] == 150
        # meetings are due from 2025 on; none in its first quarter: it lags, its responsible unit is told
        alert = wait_until(lambda: [a for a in rpc.notifications.list_alerts("firing")
                                    if a["indicator"] == "steering-meetings"])[0]
        assert alert["window"] == "2025Q1" and alert["status"] == "lagging"
        assert alert["recipients"][0] == "qinglan-science-association"


def test_changing_a_target_and_reloading_keeps_the_counts(start, tmp_path):
    plan_file = tmp_path / "plan.yaml"
    shutil.copy(REPO_ROOT / "plans" / "dangshan-2021-2025.yaml", plan_file)
    with start(plan_file, dt.date(2024, 6, 30), ActivitiesService, IndicatorsService) as rpc:
        rpc.activities.record_activity({"org": "cast", "org_kind": "body", "role": "reporter"}, {"activity_type": "caravan_tour", "start_date": "2024-03-01",
                                                "quantities": {"sessions": 6}})
        before = wait_until(lambda: (p := progress(rpc, "caravan-tours", "2024", "dangshan")) and p["actual"] and p)
        assert before["status"] == "on_track" and before["target"] == 10
        text = plan_file.read_text(encoding="utf-8")
        start_at = text.index("code: caravan-tours")
        target_at = text.index("target: 10", start_at)
        plan_file.write_text(text[:target_at] + "target: 20" + text[target_at + len("target: 10"):], encoding="utf-8")
        result = rpc.indicators.reload_plan()
        assert result["status_changes"] >= 1
        after = progress(rpc, "caravan-tours", "2024", "dangshan")
        assert after["target"] == 20 and after["actual"] == 6 and after["status"] == "lagging"
        assert after["expected"] == pytest.approx(9.95, abs=0.01)


def test_a_broken_plan_file_is_refused_on_reload_and_the_old_plan_stays(start, tmp_path):
    plan_file = tmp_path / "plan.yaml"
    shutil.copy(FICTIONAL, plan_file)
    with start(plan_file, dt.date(2024, 3, 31), IndicatorsService) as rpc:
        plan_file.write_text(plan_file.read_text(encoding="utf-8").replace("target: 6", "target: -6"), encoding="utf-8")
        from nameko.exceptions import RemoteError

        with pytest.raises(RemoteError) as info:
            rpc.indicators.reload_plan()
        assert "indicators[0].target" in info.value.value
        assert rpc.indicators.get_progress("star-night-booths", "qinglan")[0]["target"] == 6
