"""Each service on the real broker as its own user, with the permissions of
``libs.common.broker_access`` (what `kepu run` and the compose stack grant): the whole pipeline
works, a poison event is still parked, and a service cannot publish another's events."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from libs.common.broker_access import USERS, apply, service_uri
from libs.common.bus import EnvelopePublisher, PublishNotConfirmed
from services.activities.service import ActivitiesService
from services.indicators.service import IndicatorsService
from services.notifications.service import NotificationsService
from services.organisations.service import OrganisationsService
from tests.interface.helpers import dead_letters, declare, publish, wait_until
from tests.interface.test_activities import REPORT, caller
from tests.interface.test_indicators import caravan, value

SERVICE_CLASSES = {"organisations": OrganisationsService, "activities": ActivitiesService,
                   "indicators": IndicatorsService, "notifications": NotificationsService}


@pytest.fixture
def as_user(settings, broker_uris):
    """The AMQP URI of each user, created on this test's vhost through the management API."""
    from urllib.parse import urlsplit

    vhost = urlsplit(settings.amqp_uri).path.lstrip("/")
    passwords = {user: uuid.uuid4().hex for user in USERS}
    apply(broker_uris[1], vhost, passwords)
    return lambda user: service_uri(settings.amqp_uri, user, passwords[user])


@pytest.mark.parametrize("database_url_template", ["sqlite"], indirect=True)
def test_the_pipeline_runs_with_each_service_as_its_own_user(container_factory, settings, as_user):
    declare(settings.amqp_uri)  # `kepu run` declares the topology as the operator first
    for name, cls in SERVICE_CLASSES.items():
        config = settings.model_copy(update={"amqp_uri": as_user(name), "as_of": dt.date(2024, 6, 30)})
        container_factory(cls, config.nameko_config()).start()
    gateway = settings.model_copy(update={"amqp_uri": as_user("gateway")}).nameko_config()
    with ClusterRpcProxy(gateway, timeout=15) as rpc:  # the gateway's standalone proxies
        rpc.organisations.register_org({"code": "demo-town", "name": "示例镇", "kind": "town", "is_example": True})
        rpc.activities.record_activity(caller("cast"), REPORT)
        wait_until(lambda: value(rpc.indicators) == 3, timeout=20)  # activities → indicators, own users
        wait_until(lambda: rpc.notifications.list_alerts("firing"), timeout=20)  # indicators → notifications
        publish(settings.amqp_uri, caravan(1).model_copy(update={"payload": {"activity_id": "x"}}))
        assert dead_letters(settings.amqp_uri, timeout=30)  # indicators parks through the default exchange


@pytest.mark.parametrize("database_url_template", ["sqlite"], indirect=True)
@pytest.mark.parametrize("user", ["organisations", "notifications", "gateway"])
def test_no_one_but_activities_can_publish_activity_events(settings, as_user, user):
    declare(settings.amqp_uri)
    publisher = EnvelopePublisher(as_user(user))
    try:
        with pytest.raises((PublishNotConfirmed, Exception)) as refused:
            publisher.publish([caravan(5)])
        assert "ACCESS_REFUSED" in str(refused.value) or "access" in str(refused.value).lower()
    finally:
        publisher.close()
    activities = EnvelopePublisher(as_user("activities"))
    try:
        activities.publish([caravan(5)])  # the rightful publisher
    finally:
        activities.close()


def test_the_compose_broker_setup_grants_from_its_environment(settings, broker_uris):
    """`python -m libs.common.broker_access` as the compose stack's one-shot runs it."""
    import os
    import subprocess
    import sys
    from urllib.parse import urlsplit

    from kombu import Connection

    vhost = urlsplit(settings.amqp_uri).path.lstrip("/")
    env = {**os.environ, "KEPU_BROKER_ADMIN_API": broker_uris[1], "KEPU_BROKER_VHOST": vhost,
           **{f"KEPU_BROKER_PASSWORD_{u.upper()}": f"secret-{u}" for u in USERS}}
    done = subprocess.run([sys.executable, "-m", "libs.common.broker_access"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with Connection(service_uri(settings.amqp_uri, "indicators", "secret-indicators")) as conn:
        conn.ensure_connection(max_retries=2)
    missing = subprocess.run([sys.executable, "-m", "libs.common.broker_access"],
                             env={k: v for k, v in env.items() if k != "KEPU_BROKER_PASSWORD_GATEWAY"},
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "KEPU_BROKER_PASSWORD_GATEWAY" in missing.stderr


@pytest.mark.parametrize("database_url_template", ["sqlite"], indirect=True)
def test_the_gateway_watches_status_changes_as_its_own_user(settings, as_user):
    from kombu import Connection, Consumer

    from libs.common.events import IndicatorStatusChanged, make_envelope
    from services.gateway.watch import watch_queue

    declare(settings.amqp_uri)
    got = []
    with Connection(as_user("gateway")) as conn:
        with Consumer(conn.default_channel, queues=[watch_queue(f"gateway-watch-{uuid.uuid4().hex[:12]}")],
                      callbacks=[lambda body, message: (got.append(body), message.ack())], accept=["json"]):
            change = make_envelope("indicators", IndicatorStatusChanged(
                indicator="caravan-tours", indicator_name="科普大篷车巡展", window="2024", scope="dangshan",
                previous="on_track", status="lagging", actual=1, expected=5, target=10, unit="场次",
                as_of=dt.date(2024, 6, 30), responsible=["cast"]))
            publish(as_user("indicators"), change)
            conn.drain_events(timeout=10)
    assert got and got[0]["event_id"] == change.event_id
