"""Property test of event payloads on the real bus: whatever an `activity_recorded` carries
(forged, old, or broken), the indicators service counts it when it meets the bounds a report
meets and parks it with the reason otherwise; nothing is lost, and the figure stays finite and
equal to the sum of what was counted."""
from __future__ import annotations

import datetime as dt
import json
import math
import uuid

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from pydantic import ValidationError

from libs.common.bus.dead_letters import peek_dead_letters
from libs.common.events import ActivityRecorded, Envelope
from libs.common.plan import load_plan
from libs.common.rpc import ClusterRpcProxy
from services.indicators.service import IndicatorsService
from tests.interface.helpers import declare, publish, wait_until
from tests.interface.test_indicators import value
from tests.property.strategies import reports


def counted_sessions(payload: dict, plan) -> float | None:
    """What the event adds to caravan tours in 2024 if it is valid (0 for another type or
    year); None if it must be parked."""
    try:
        activity = ActivityRecorded.model_validate(payload)
    except ValidationError:
        return None
    if plan.quantity_problems(activity.quantities):
        return None
    if activity.activity_type == "caravan_tour" and activity.start_date.year == 2024:
        return activity.quantities.get("sessions", 0.0)
    return 0.0


@pytest.mark.parametrize("database_url_template", ["postgresql"], indirect=True)
def test_any_event_is_counted_within_bounds_or_parked_never_lost(container_factory, settings):
    config = settings.model_copy(update={"as_of": dt.date(2024, 6, 30)})
    plan = load_plan(config.plan_file / "dangshan-2021-2025.yaml")
    declare(settings.amqp_uri)
    expected = {"sum": 0.0, "parked": 0, "sent": 0}

    @hypothesis_settings(max_examples=80, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(reports())
    def send(report):
        payload = {"activity_id": uuid.uuid4().hex[:16], "org": "cast", "start_date": report["start_date"],
                   "end_date": report["end_date"] or report["start_date"], "activity_type": report["activity_type"],
                   "town": report["town"] or None, "quantities": report["quantities"]}
        envelope = Envelope(type="activity_recorded", source="activities", payload=payload)
        on_the_wire = json.loads(envelope.model_dump_json())["payload"]  # inf and nan travel as null
        adds = counted_sessions(on_the_wire, plan)
        expected["parked" if adds is None else "sum"] += 1 if adds is None else adds
        expected["sent"] += 1
        publish(settings.amqp_uri, envelope)

    send()
    assert expected["parked"] and expected["sum"], expected  # both sides were reached
    container_factory(IndicatorsService, config.nameko_config()).start()
    with ClusterRpcProxy(config.nameko_config(), timeout=10) as proxy:
        wait_until(lambda: len(peek_dead_letters(settings.amqp_uri, 1000)) >= expected["parked"], timeout=120)
        wait_until(lambda: value(proxy.indicators) == expected["sum"], timeout=60)
        assert math.isfinite(value(proxy.indicators))
    assert len(peek_dead_letters(settings.amqp_uri, 1000)) == expected["parked"]
