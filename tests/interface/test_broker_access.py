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


def test_the_compose_broker_setup_waits_for_every_node_of_a_cluster(broker_uris):
    """deploy/compose.cluster.yml: broker-setup (KEPU_BROKER_NODES=3) declares no queue before the
    three nodes run, so each quorum queue gets a replica on every one."""
    from libs.localenv.broker_access import nodes_running

    assert len(nodes_running(broker_uris[1], 1)) == 1
    with pytest.raises(RuntimeError, match="1 of 3 RabbitMQ nodes run"):
        nodes_running(broker_uris[1], 3)


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

    from libs.common.bus.topology import SUBSCRIPTIONS, require

    parts = urlsplit(settings.amqp_uri)
    vhost = parts.path.lstrip("/")
    env = {**os.environ, "KEPU_BROKER_ADMIN_API": broker_uris[1], "KEPU_BROKER_VHOST": vhost,
           "KEPU_BROKER_AMQP_PORT": str(parts.port),
           **{f"KEPU_BROKER_PASSWORD_{u.upper()}": f"secret-{u}" for u in USERS}}
    done = subprocess.run([sys.executable, "-m", "libs.localenv.broker_access"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with Connection(service_uri(settings.amqp_uri, "indicators", "secret-indicators")) as conn:
        conn.ensure_connection(max_retries=2)  # the user exists, and the topology it needs was declared
        require(conn, exchanges=["nameko-rpc"], queues=[SUBSCRIPTIONS[0].queue_name])
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


def refused(action) -> bool:
    """Whether the broker refused ``action`` (a 403 closes the channel or the connection)."""
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - amqp raises AccessRefused, kombu may wrap it
        assert "ACCESS_REFUSED" in str(exc) or "access" in str(exc).lower() or "403" in str(exc), repr(exc)
        return True
    return False


INDICATORS_QUEUE = "evt-activities-activity_recorded--indicators.handle_activity_recorded"
CHANNELS_QUEUE = "evt-organisations-org_channel_changed--notifications.handle_channel_changed"


@pytest.mark.parametrize("database_url_template", ["sqlite"], indirect=True)
@pytest.mark.parametrize("thief", ["notifications", "organisations", "indicators", "activities", "gateway"])
def test_a_stolen_service_password_cannot_forge_sniff_unbind_purge_or_delete(settings, as_user, thief):
    """Everything the audit did with one service's password, as that service's own user: each is
    refused by the broker itself (permissions and topic permissions), and the topology stays whole."""
    from kombu import Connection, Exchange, Producer

    from libs.common.bus.topology import DEAD_LETTER_QUEUE, RPC_EXCHANGE, event_exchange, require

    declare(settings.amqp_uri)

    def on(channel_action):
        def run():
            with Connection(as_user(thief)) as conn:
                channel_action(conn.channel())
        return run

    victim = INDICATORS_QUEUE if thief != "indicators" else CHANNELS_QUEUE
    other_retry = f"kepu.retry.{'indicators' if thief != 'indicators' else 'notifications'}"
    for exchange in (RPC_EXCHANGE.name, "activities.events", "organisations.events", "indicators.events",
                     f"kepu.retry.{thief}", other_retry):  # forge: another's queue bound where the thief writes
        assert refused(on(lambda ch, e=exchange: ch.queue_bind(victim, e, "#"))), (thief, exchange)
    assert refused(on(lambda ch: ch.queue_declare("sniffer", durable=False)))  # sniff: a queue of its own
    if thief != "gateway":
        own_rpc = f"rpc-{thief}"
        assert not refused(on(lambda ch: ch.queue_declare(own_rpc, durable=True)))  # as nameko does at start
        for exchange in (RPC_EXCHANGE.name, "activities.events", "organisations.events", "indicators.events"):
            assert refused(on(lambda ch, e=exchange: ch.queue_bind(own_rpc, e, "#"))), (thief, exchange)
        assert not refused(on(lambda ch: ch.queue_bind(own_rpc, RPC_EXCHANGE.name, f"{thief}.*")))  # nameko's own
    # make data vanish: unbind, purge, delete another's queue, the dead letters, the shared exchanges
    assert refused(on(lambda ch: ch.queue_unbind(victim, "activities.events", "activity_recorded")))
    assert refused(on(lambda ch: ch.queue_purge(victim)))
    assert refused(on(lambda ch: ch.queue_delete(victim)))
    assert refused(on(lambda ch: ch.queue_purge(DEAD_LETTER_QUEUE)))
    assert refused(on(lambda ch: ch.queue_delete(DEAD_LETTER_QUEUE)))
    assert refused(on(lambda ch: ch.exchange_delete(RPC_EXCHANGE.name)))
    assert refused(on(lambda ch: ch.exchange_delete(event_exchange("activities").name)))
    # forge an RPC: a service publishes on nameko-rpc only replies, the gateway only its API's methods
    rpc_exchange = Exchange(RPC_EXCHANGE.name, type="topic", no_declare=True)
    with Connection(as_user(thief), transport_options={"confirm_publish": True}) as conn:
        assert refused(lambda: Producer(conn.channel()).publish(
            {"args": ["cast", "0" * 64], "kwargs": {}}, exchange=rpc_exchange,
            routing_key="organisations.issue_token", user_id=thief))
    with Connection(settings.amqp_uri) as conn:  # the topology is whole
        require(conn, exchanges=[RPC_EXCHANGE.name, "activities.events"],
                queues=[INDICATORS_QUEUE, CHANNELS_QUEUE, DEAD_LETTER_QUEUE])


@pytest.mark.parametrize("database_url_template", ["sqlite"], indirect=True)
def test_past_a_misconfigured_broker_the_services_refuse_forged_calls_and_events(
        container_factory, settings, as_user, broker_uris):
    """As if the broker's permissions were wrong (the gateway's topic permissions gone, indicators'
    queue bound to notifications' retry exchange by mistake), the services check the sender
    themselves: an RPC from a user that may not call the method gets PermissionDenied, an event
    from a user that may not send it is parked with the reason, nothing is counted, and each
    refusal is counted in kepu_bus_refused_total for the alert rule."""
    from urllib.parse import quote, urlsplit

    import requests
    from kombu import Connection, Producer
    from prometheus_client import REGISTRY

    from libs.common.errors import PermissionDenied

    declare(settings.amqp_uri)
    api, vhost = urlsplit(broker_uris[1]), urlsplit(settings.amqp_uri).path.lstrip("/")
    requests.delete(f"http://{api.hostname}:{api.port}/api/topic-permissions/{quote(vhost, safe='')}/gateway",
                    auth=(api.username, api.password), timeout=10).raise_for_status()
    for name, cls in SERVICE_CLASSES.items():
        config = settings.model_copy(update={"amqp_uri": as_user(name), "as_of": dt.date(2024, 6, 30)})
        container_factory(cls, config.nameko_config()).start()

    def counted(service: str, kind: str, sender: str) -> float:
        return REGISTRY.get_sample_value("kepu_bus_refused_total", {"service": service, "kind": kind,
                                                                    "sender": sender}) or 0.0

    before = counted("organisations", "rpc", "gateway"), counted("indicators", "event", "notifications")
    gateway = settings.model_copy(update={"amqp_uri": as_user("gateway")}).nameko_config()
    with ClusterRpcProxy(gateway, timeout=15) as rpc:
        with pytest.raises(PermissionDenied, match="may not call organisations.issue_token"):
            rpc.organisations.issue_token("cast", "0" * 64, "stolen", "admin")
        with pytest.raises(PermissionDenied, match="may not call activities.record_activity$"):
            rpc.activities.record_activity({"org": "edu", "org_kind": "department", "role": "admin"}, REPORT)

    with Connection(settings.amqp_uri) as conn:
        conn.default_channel.queue_bind(INDICATORS_QUEUE, "kepu.retry.notifications", INDICATORS_QUEUE)
    with Connection(as_user("notifications"), transport_options={"confirm_publish": True}) as conn:
        Producer(conn.default_channel).publish(
            caravan(9).model_dump_json(), exchange="kepu.retry.notifications", routing_key=INDICATORS_QUEUE,
            content_type="application/json", delivery_mode=2, user_id="notifications")
    (parked,) = dead_letters(settings.amqp_uri, timeout=30)
    assert "may not send into" in parked[1]["x-kepu-error"] and parked[1]["x-kepu-sender"] == "notifications"
    after = counted("organisations", "rpc", "gateway"), counted("indicators", "event", "notifications")
    assert after[0] == before[0] + 1 and after[1] == before[1] + 1
    with ClusterRpcProxy(settings.nameko_config(), timeout=15) as ops:
        assert value(ops.indicators) == 0  # nothing counted
        assert ops.organisations.list_tokens("cast") == []  # no token issued
