"""Reporting duties over the real broker: activities judges them and publishes
``reporting_duty_changed`` through its outbox; notifications turns each into its alert, and a
submission (a nil report) resolves it at once."""
from __future__ import annotations

import datetime as dt

from libs.common.events import OrganisationChanged, make_envelope
from libs.common.rpc import ClusterRpcProxy
from libs.common.settings import REPO_ROOT
from services.activities.service import ActivitiesService
from services.notifications.service import NotificationsService
from tests.interface.helpers import declare, publish, wait_until

FICTIONAL = REPO_ROOT / "tests" / "plans" / "fictional-county.yaml"
TOWN = {"org": "town-a", "org_kind": "town", "role": "reporter", "token_id": 1}


def duty_alerts(rpc, state: str | None = None) -> list[tuple]:
    return [(a["indicator"], a["window"], a["scope"], a["status"]) for a in rpc.notifications.list_alerts(state)
            if a["topic"] == "reporting"]


def test_a_reminder_travels_from_activities_to_notifications_and_a_nil_report_resolves_it(container_factory,
                                                                                            settings):
    # Oct 17, 2025: two working days before the towns' third quarter is due (Oct 21, after National Day)
    config = settings.model_copy(update={"plan_file": FICTIONAL, "as_of": dt.date(2025, 10, 17)}).nameko_config()
    declare(settings.amqp_uri)
    container_factory(ActivitiesService, config).start()
    container_factory(NotificationsService, config).start()
    publish(settings.amqp_uri, make_envelope("organisations", OrganisationChanged(
        code="town-a", name="东岚镇", kind="town", changed_at=dt.datetime.now(dt.timezone.utc))))
    with ClusterRpcProxy(config, timeout=10) as rpc:
        wait_until(lambda: rpc.activities.known_organisations(["town-a"]) == {"town-a": "town"})
        assert rpc.activities.evaluate_duties() == 1
        assert wait_until(lambda: duty_alerts(rpc, "firing")) == [("reporting", "2025Q3", "town-a", "reminder")]
        assert rpc.activities.evaluate_duties() == 0  # nothing changed: nothing sent again
        rpc.activities.submit_period(TOWN, "2025Q3", True)
        assert wait_until(lambda: duty_alerts(rpc, "resolved")) == [("reporting", "2025Q3", "town-a", "resolved")]
        assert rpc.notifications.list_alerts("firing") == []
