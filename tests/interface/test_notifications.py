"""notifications service on the real broker: one alert per window, opened, kept, resolved; a database
made afresh asks organisations for the channels."""
from __future__ import annotations

import datetime as dt

import pytest
from nameko.testing.services import entrypoint_waiter

from libs.common.bus.topology import SUBSCRIPTIONS
from libs.common.events import REFERENCE_REQUESTED, Envelope, IndicatorStatusChanged, make_envelope
from libs.common.rpc import ClusterRpcProxy
from services.notifications.service import NotificationsService
from tests.interface.helpers import declare, drain, publish


def status(new: str, previous: str | None, actual: float = 1.0, window: str = "2024") -> Envelope:
    return make_envelope("indicators", IndicatorStatusChanged(
        indicator="caravan-tours", indicator_name="科普大篷车巡展", window=window, scope="dangshan",
        previous=previous, status=new, actual=actual, expected=5.0, target=10.0, unit="场次",
        as_of=dt.date(2024, 6, 30), responsible=["cast"]))


@pytest.fixture
def notifications(container_factory, settings):
    config = settings.nameko_config()
    declare(settings.amqp_uri)
    container = container_factory(NotificationsService, config)
    container.start()
    with ClusterRpcProxy(config, timeout=10) as proxy:
        yield container, proxy.notifications


def deliver(container, amqp_uri, *envelopes):
    for env in envelopes:
        with entrypoint_waiter(container, "handle_status_changed", timeout=10) as result:
            publish(amqp_uri, env)
        result.get()  # an error in the handler fails the test, even if a retry would mend it


def test_lagging_opens_one_alert_to_the_responsible_units_and_the_office(notifications, settings):
    container, rpc = notifications
    lagging = status("lagging", "on_track")
    deliver(container, settings.amqp_uri, lagging, lagging, status("missed", "lagging", window="2023"))
    alerts = rpc.list_alerts("firing")
    assert [(a["indicator"], a["window"], a["status"]) for a in alerts] == [
        ("caravan-tours", "2023", "missed"), ("caravan-tours", "2024", "lagging")]
    assert alerts[1]["recipients"] == ["cast", "leading-group-office"]
    assert alerts[1]["times_opened"] == 1


def test_recovery_resolves_and_relapse_reopens_the_same_alert(notifications, settings):
    container, rpc = notifications
    deliver(container, settings.amqp_uri, status("lagging", "on_track"), status("on_track", "lagging", actual=6))
    (alert,) = rpc.list_alerts()
    assert alert["state"] == "resolved" and alert["resolved_at"] and alert["actual"] == 6
    deliver(container, settings.amqp_uri, status("lagging", "on_track", actual=6))
    (alert,) = rpc.list_alerts()
    assert alert["state"] == "firing" and alert["times_opened"] == 2 and alert["resolved_at"] is None


def test_statuses_that_never_fired_raise_nothing(notifications, settings):
    container, rpc = notifications
    deliver(container, settings.amqp_uri, status("at_risk", "on_track"), status("achieved", "at_risk"))
    assert rpc.list_alerts() == []


# organisations' subscription to the request, declared here so that the request has a queue to reach
TO_ORGANISATIONS = next(s for s in SUBSCRIPTIONS if s.source == "notifications" and s.event_type == REFERENCE_REQUESTED)


def test_a_fresh_database_asks_organisations_for_the_channels_once(container_factory, settings):
    declare(settings.amqp_uri)  # the operator's topology, the request's queue among it
    container = container_factory(NotificationsService, settings.nameko_config())
    container.start()
    ((body, headers),) = drain(settings.amqp_uri, TO_ORGANISATIONS, expect=1)
    request = Envelope.model_validate(body)
    assert (request.type, request.source, request.typed_payload().service) == (
        REFERENCE_REQUESTED, "notifications", "notifications")
    assert headers["kepu.event_id"] == request.event_id
