"""The figures known at a past moment over the real broker, asked as the gateway asks them (its
own broker user, with the grants of ``libs.localenv.broker_access``): activities' revisions
recorded by then, counted and judged by indicators."""
from __future__ import annotations

import datetime as dt

import pytest

from libs.common.rpc import ClusterRpcProxy
from services.activities.service import ActivitiesService
from services.indicators.service import IndicatorsService
from tests.interface.helpers import declare, wait_until
from tests.interface.test_activities import caller
from tests.interface.test_broker_access import as_user  # noqa: F401 (a fixture)

ADMIN = {"org": "dangshan-kx", "org_kind": "body", "role": "admin", "token_id": 9}


def caravan(external_id: str, day: str, sessions: float) -> dict:
    return {"activity_type": "caravan_tour", "start_date": day, "quantities": {"sessions": sessions,
                                                                                "participants": 100},
            "external_id": external_id}


def region(progress: dict, indicator: str = "caravan-tours") -> dict:
    return next(w["total"] for w in progress["indicators"] if w["indicator"] == indicator)


@pytest.mark.parametrize("database_url_template", ["sqlite"], indirect=True)
def test_a_past_moment_shows_what_was_recorded_by_then_as_list_progress_did(container_factory, settings,
                                                                              as_user):  # noqa: F811 (the fixture)
    declare(settings.amqp_uri)
    for cls in (ActivitiesService, IndicatorsService):
        config = settings.model_copy(update={"amqp_uri": as_user(cls.name), "as_of": dt.date(2024, 6, 30)})
        container_factory(cls, config.nameko_config()).start()
    gateway = settings.model_copy(update={"amqp_uri": as_user("gateway")}).nameko_config()
    operator = settings.model_copy(update={"amqp_uri": as_user("operator")}).nameko_config()
    with ClusterRpcProxy(operator, timeout=15) as ops, ClusterRpcProxy(gateway, timeout=15) as rpc:
        rpc.activities.record_activity_group(caller("cast"), [caravan("june", "2024-06-01", 3)])
        wait_until(lambda: region(rpc.indicators.list_progress(2024))["actual"] == 3, timeout=20)
        ops.indicators.evaluate()
        then = rpc.indicators.list_progress(2024)

        for service in (ops.activities, ops.indicators):
            service.set_clock("2024-07-02")  # a report dated in June comes in July
        rpc.activities.record_activity_group(caller("cast"), [caravan("late", "2024-06-20", 4)])
        wait_until(lambda: region(rpc.indicators.list_progress(2024))["actual"] == 7, timeout=20)

        known = rpc.activities.revisions_as_of(ADMIN, "2024-06-30")
        assert [r["quantities"]["sessions"] for r in known] == [3]  # the late report was not known yet
        past = rpc.indicators.progress_as_of("2024-06-30", known, 2024)
        assert region(past) == region(then) and region(past)["status"] == region(then)["status"]
        assert region(past)["actual"] == 3 and region(past)["as_of"] == "2024-06-30"
        assert region(rpc.indicators.progress_as_of("2024-06-29", rpc.activities.revisions_as_of(
            ADMIN, "2024-06-29"), 2024))["actual"] == 0
