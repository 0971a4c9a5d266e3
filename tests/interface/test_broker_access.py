"""Each service on the real broker as its own user, with the permissions of
``libs.localenv.broker_access`` (what `kepu run` and the compose stack grant): the whole pipeline
works, a poison event is still parked, and a service cannot publish another's events."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest

from libs.common.bus.publisher import EnvelopePublisher, PublishNotConfirmed
from libs.common.rpc import ClusterRpcProxy
from libs.localenv.broker_access import USERS, apply, service_uri
from services.activities.service import ActivitiesService
from services.indicators.service import IndicatorsService
from services.notifications.service import NotificationsService
from services.organisations.service import OrganisationsService
from tests.interface.helpers import dead_letters, declare, publish, wait_until
from tests.interface.test_activities import REPORT, caller, knows_the_organisations
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
    operator = settings.model_copy(update={"amqp_uri": as_user("operator")}).nameko_config()
    with ClusterRpcProxy(operator, timeout=15) as ops, ClusterRpcProxy(gateway, timeout=15) as rpc:
        ops.organisations.register_org({"code": "demo-town", "name": "示例镇", "kind": "town", "is_example": True})
        wait_until(lambda: knows_the_organisations(ops.activities))  # organisations → activities, own users
        rpc.activities.record_activity_group(caller("cast"), [REPORT])  # as the gateway sends a report
        wait_until(lambda: value(rpc.indicators) == 3, timeout=20)  # activities → indicators, own users
        wait_until(lambda: rpc.notifications.list_alerts("firing"), timeout=20)  # indicators → notifications
        publish(settings.amqp_uri, caravan(1).model_copy(update={"payload": {"activity_id": "x"}}))
        assert dead_letters(settings.amqp_uri, timeout=30)  # indicators parks through kepu.dead-letters


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
    """`python -m libs.localenv.broker_access` as the compose stack's one-shot runs it."""
    import os
    import subprocess
    import sys
    from urllib.parse import urlsplit

    from kombu import Connection

    vhost = urlsplit(settings.amqp_uri).path.lstrip("/")
    env = {**os.environ, "KEPU_BROKER_ADMIN_API": broker_uris[1], "KEPU_BROKER_VHOST": vhost,
           **{f"KEPU_BROKER_PASSWORD_{u.upper()}": f"secret-{u}" for u in USERS}}
    done = subprocess.run([sys.executable, "-m", "libs.localenv.broker_access"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with Connection(service_uri(settings.amqp_uri, "indicators", "secret-indicators")) as conn:
        conn.ensure_connection(max_retries=2)
    missing = subprocess.run([sys.executable, "-m", "libs.localenv.broker_access"],
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


def listening_on(port: int) -> set[str]:
    """The addresses the kernel has a listening TCP socket on for ``port`` (/proc/net/tcp*)."""
    import ipaddress

    found = set()
    for table, size in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in open(table).read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, port_hex = local.partition(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))  # kernel words are little-endian
                found.add(str(ipaddress.ip_address(raw)))
    return found


def test_the_project_node_listens_on_loopback_only_and_has_no_guest(broker_uris):
    """The node `make run` and `make test` start: AMQP, management, metrics, Erlang distribution
    and epmd bound to loopback (as the kernel sees them); guest, an administrator on a stock
    node, does not exist."""
    from urllib.parse import urlsplit

    import requests
    from kombu import Connection

    from libs.localenv.testenv import test_broker

    node = test_broker()
    for port in (node.port, node.mgmt_port, node.metrics_port, node.dist_port, 4369):
        assert listening_on(port), f"nothing listens on {port}"
        assert listening_on(port) <= {"127.0.0.1", "::1"}, (port, listening_on(port))
    api = urlsplit(broker_uris[1])
    users = requests.get(f"http://{api.hostname}:{api.port}/api/users", auth=(api.username, api.password),
                         timeout=10).json()
    assert "guest" not in {u["name"] for u in users}
    amqp = urlsplit(broker_uris[0])
    with pytest.raises(Exception, match="ACCESS_REFUSED|Login was refused|403"):
        with Connection(f"amqp://guest:guest@127.0.0.1:{amqp.port}/", connect_timeout=5) as conn:
            conn.connect()


@pytest.mark.parametrize("database_url_template", ["sqlite"], indirect=True)
def test_a_service_writes_to_no_queue_but_its_own_retries_and_the_dead_letters(settings, as_user):
    """The default exchange reaches every queue by name: only the operator may write to it.
    A service retries into its own queues only, and parks."""
    from kombu import Connection, Exchange, Producer

    from libs.common.bus.topology import DEAD_LETTERS, REBUILD_EXCHANGE, retry_exchange

    declare(settings.amqp_uri)

    def send(user: str, exchange: Exchange | str, key: str) -> bool:
        with Connection(as_user(user), transport_options={"confirm_publish": True}) as conn:
            try:
                Producer(conn.default_channel).publish(b"{}", exchange=exchange, routing_key=key)
                return True
            except Exception as exc:  # noqa: BLE001 - the refusal closes the channel
                assert "ACCESS_REFUSED" in str(exc) or "access" in str(exc).lower(), exc
                return False

    indicators_queue = "evt-activities-activity_recorded--indicators.handle_activity_recorded"
    assert not send("notifications", "", indicators_queue)  # the default exchange
    assert not send("notifications", retry_exchange("indicators"), indicators_queue)  # another's retries
    assert not send("indicators", REBUILD_EXCHANGE, "x")  # only activities replays for a rebuild
    assert send("indicators", retry_exchange("indicators"), indicators_queue)
    assert send("notifications", DEAD_LETTERS, "x")
    assert send("activities", REBUILD_EXCHANGE, "x")
    assert send("operator", "", indicators_queue)
