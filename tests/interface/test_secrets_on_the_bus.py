"""No secret crosses the bus in clear: an operator issues a token and adds a DingTalk channel the
way `kepu org token` and `kepu org channel add` do, while a sniffer with the broker's admin rights
(this test's own connection) has a queue bound with ``#`` to ``nameko-rpc`` (every RPC request
and reply) and to every event exchange. No body holds the token, the DingTalk signing secret or
the robot's key; neither database holds them; and the channel still delivers, signed."""
from __future__ import annotations

import datetime as dt
import stat
import time

import pytest
from kombu import Connection, Queue, binding
from nameko.rpc import get_rpc_exchange
from prometheus_client import REGISTRY
from sqlalchemy import create_engine, select

from libs.cli.orgs import add_channel, issue_token
from libs.common.access import token_hash
from libs.common.bus.topology import DEAD_LETTERS, SUBSCRIPTIONS, event_exchange
from libs.common.events import ORG_CHANNEL_CHANGED, IndicatorStatusChanged, make_envelope
from libs.common.rpc import ClusterRpcProxy
from services.notifications.models import Channel as NotificationsChannel
from services.notifications.service import NotificationsService
from services.notifications.settings import NotificationSettings
from services.organisations.models import Channel as OrganisationsChannel
from services.organisations.service import OrganisationsService
from tests.eventually import eventually
from tests.interface.helpers import declare, publish
from tests.receivers.http import DINGTALK_SECRET, DINGTALK_TOKEN


class Sniffer:
    """A queue of the test's own, bound with ``#`` to the RPC exchange and every event exchange
    (and the dead letters), collecting the bodies and headers of whatever passes."""

    def __init__(self, amqp_uri: str):
        self.connection = Connection(amqp_uri)
        exchanges = {event_exchange(s.source).name: event_exchange(s.source) for s in SUBSCRIPTIONS}
        bindings = [binding(get_rpc_exchange({}), routing_key="#"),
                    *(binding(exchange, routing_key="#") for exchange in exchanges.values()), binding(DEAD_LETTERS)]
        self.queue = Queue(f"sniffer-{time.monotonic_ns()}", bindings=bindings, exclusive=True, auto_delete=True)
        self.queue(self.connection.default_channel).declare()

    def seen(self) -> list[tuple[str, str]]:
        """(routing key, body and headers as text) of every message so far."""
        got, bound = [], self.queue(self.connection.default_channel)
        while (message := bound.get(no_ack=True)) is not None:
            body = message.body.decode() if isinstance(message.body, bytes) else str(message.body)
            got.append((message.delivery_info["routing_key"], f"{body} {message.headers}"))
        return got

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def system(container_factory, settings):
    """organisations and notifications (its channel key made on this first start, in a file)."""
    alerts = NotificationSettings(alert_group_wait=0.0, alert_group_interval=0.0, alert_round_interval=0.2,
                                  alert_working_hours="always", alert_working_days="1-7", delivery_retry_base=0.2,
                                  delivery_retry_cap=0.5, delivery_attempts=3, delivery_timeout=3.0)
    config = settings.nameko_config() | alerts.nameko_config()
    declare(settings.amqp_uri)
    sniffer = Sniffer(settings.amqp_uri)
    for service in (OrganisationsService, NotificationsService):
        container_factory(service, config).start()
    with ClusterRpcProxy(config, timeout=10) as rpc:
        yield rpc, sniffer
    sniffer.close()


def applied_channel_changes() -> float:
    labels = {"service": "notifications", "event_type": ORG_CHANNEL_CHANGED, "outcome": "ok"}
    return REGISTRY.get_sample_value("kepu_events_handled_total", labels) or 0.0


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def rows_as_text(url: str, model) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        text = str([tuple(row) for row in conn.execute(select(model.__table__))])
    engine.dispose()
    return text


@pytest.mark.parametrize("database_url_template", ["sqlite"], indirect=True)
def test_a_sniffer_on_the_bus_sees_no_token_and_no_channel_secret(system, settings, http_receiver):
    rpc, sniffer = system
    before = applied_channel_changes()
    token, issued = issue_token(rpc.organisations, "cast", "caravan system", "reporter", "90d")
    robot = http_receiver.url("dingtalk")
    added = add_channel(rpc, "cast", "dingtalk", robot, DINGTALK_SECRET, "值班群")
    eventually(lambda: applied_channel_changes() > before, what="the channel applied by notifications")

    seen = sniffer.seen()
    assert any(key == ORG_CHANNEL_CHANGED for key, _ in seen), "the sniffer saw the channel's event"
    assert any(f'"token_id": {issued["token_id"]}' in text for _, text in seen), "and the issue_token reply"
    assert any(token_hash(token) in text for _, text in seen), "and the hash that did travel"
    for secret in (token, DINGTALK_SECRET, DINGTALK_TOKEN):
        assert [key for key, text in seen if secret in text] == [], "a secret crossed the bus in clear"

    for url, model in ((settings.database_url("organisations"), OrganisationsChannel),
                       (settings.database_url("notifications"), NotificationsChannel)):
        stored = rows_as_text(url, model)
        assert "cast" in stored and DINGTALK_SECRET not in stored and DINGTALK_TOKEN not in stored
    assert DINGTALK_TOKEN not in str(added) and added["target"].endswith("access_token=c0ff…(32)")
    key_file, databases = settings.var_dir / "keys" / "notifications-channels.key", settings.var_dir / "db"
    private = [key_file, *databases.glob("*.sqlite3*")]  # the key, each database and its -wal and -shm
    assert len(private) >= 5 and {p.name: mode(p) for p in private} == {p.name: 0o600 for p in private}
    assert (mode(key_file.parent), mode(databases)) == (0o700, 0o700)

    publish(settings.amqp_uri, make_envelope("indicators", IndicatorStatusChanged(
        indicator="caravan-tours", indicator_name="科普大篷车巡展", window="2025", scope="dangshan", previous=None,
        status="lagging", actual=4, expected=7.5, target=10, unit="场次", as_of=dt.date(2025, 10, 1),
        responsible=["cast"], sequence=1)))
    (ding,) = eventually(lambda: http_receiver.of("dingtalk"), what="the digest at the sealed DingTalk robot")
    assert http_receiver.problems == []  # the right access_token, signed with the right secret
    assert ding.body["markdown"]["title"].startswith("【科普工作预警】")
    assert [key for key, text in sniffer.seen() if DINGTALK_SECRET in text or DINGTALK_TOKEN in text] == []
