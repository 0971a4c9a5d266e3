"""Digests delivered to real receivers on loopback, by the notifications service on the real
broker: each channel's documented format, a receiver down for a while or for good, two
services at once. Channels arrive as organisations publishes them (``org_channel_changed``).

Timing is shortened by settings (no group wait, retries in a fraction of a second, any hour);
the schedule itself is specified on an injected clock in tests/unit/notifications.
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
from email.header import decode_header, make_header

import pytest
from nacl.encoding import Base64Encoder
from nacl.public import PrivateKey
from nameko.testing.services import entrypoint_waiter
from prometheus_client import REGISTRY

from libs.common.channels import ChannelSpec, sealed_channel
from libs.common.events import ORG_CHANNEL_CHANGED, IndicatorStatusChanged, OrgChannelChanged, make_envelope
from libs.common.rpc import ClusterRpcProxy
from services.notifications.service import NotificationsService
from services.notifications.settings import NotificationSettings
from tests.eventually import eventually
from tests.interface.helpers import declare, publish
from tests.receivers.http import DINGTALK_SECRET

sequence = itertools.count(1)
channel_ids = itertools.count(1)
KEY = PrivateKey.generate()  # notifications' key, given by the setting (KEPU_CHANNEL_PRIVATE_KEY)
PUBLIC_KEY = KEY.public_key.encode(Base64Encoder).decode()


def status(new: str, indicator: str = "caravan-tours", responsible=("cast",), actual: float = 4) -> object:
    return make_envelope("indicators", IndicatorStatusChanged(
        indicator=indicator, indicator_name="科普大篷车巡展" if indicator == "caravan-tours" else indicator, window="2025", scope="dangshan", previous=None,
        status=new, actual=actual, expected=7.5, target=10, unit="场次", as_of=dt.date(2025, 10, 1),
        responsible=list(responsible), sequence=next(sequence)))


def channel(org: str, kind: str, target: str, secret: str = "", removed: bool = False, channel_id: int | None = None):
    """A channel change as organisations publishes it: sealed for notifications' key (``KEY``)."""
    sealed = sealed_channel(ChannelSpec(kind=kind, target=target, secret=secret), PUBLIC_KEY)
    return make_envelope("organisations", OrgChannelChanged(
        channel_id=channel_id or next(channel_ids), org=org, kind=kind, sealed_target=sealed.sealed_target,
        sealed_secret=sealed.sealed_secret, removed=removed, changed_at=dt.datetime.now(dt.timezone.utc)))


@pytest.fixture
def config(settings, smtp_server, alertmanager) -> dict:
    """The container's config: the shared settings, and the notifications settings shortened."""
    alerts = NotificationSettings(
        alert_group_wait=0.0, alert_group_interval=0.0, alert_round_interval=0.2,
        alert_working_hours="always", alert_working_days="1-7",
        delivery_retry_base=0.2, delivery_retry_cap=0.5, delivery_attempts=3, delivery_timeout=3.0,
        smtp_host="127.0.0.1", smtp_port=smtp_server.port, smtp_starttls=True,
        smtp_ca_file=smtp_server.cert, alertmanager_url=alertmanager.url,
        channel_private_key=KEY.encode(Base64Encoder).decode(),
    )
    return settings.nameko_config() | alerts.nameko_config()


@pytest.fixture
def start_notifications(container_factory, settings, config):
    declare(settings.amqp_uri)

    def start():
        container = container_factory(NotificationsService, config)
        container.start()
        return container
    return start


@pytest.fixture
def rpc(config):
    with ClusterRpcProxy(config, timeout=10) as proxy:
        yield proxy.notifications


def new_section(text: str) -> list[str]:
    """The lines under 新情况 in a digest: each alert is news to a recipient exactly once."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.endswith("：") and not line[0].isdigit():
            inside = line == "新情况："
        elif inside and line[0].isdigit():
            lines.append(line)
    return lines


def publish_channels(amqp_uri: str, *changes) -> None:
    """Publish channel changes and wait until notifications applied them: channels first, as an
    operator adds them before alerts fire (its handled count, in this process's registry)."""
    labels = {"service": "notifications", "event_type": ORG_CHANNEL_CHANGED, "outcome": "ok"}
    applied = lambda: REGISTRY.get_sample_value("kepu_events_handled_total", labels) or 0.0  # noqa: E731
    before = applied()
    publish(amqp_uri, *changes)
    eventually(lambda: applied() >= before + len(changes), what=f"{len(changes)} channel changes applied")


def rounds_ran(*containers, rounds: int = 2) -> None:
    """Wait until each notifications container has finished ``rounds`` more ticks of its clock,
    so whatever those rounds would send again has been composed."""
    for container in containers:
        for _ in range(rounds):
            with entrypoint_waiter(container, "tick", timeout=10):
                pass


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def deliveries_of(rpc, org: str) -> list[dict]:
    return [d for d in rpc.list_deliveries() if d["org"] == org]


@pytest.mark.parametrize("database_url_template", ["sqlite"], indirect=True)
def test_a_digest_reaches_every_channel_in_its_documented_format(start_notifications, rpc, settings,
                                                                  http_receiver, smtp_server, alertmanager):
    start_notifications()
    org = "cast-formats"
    publish_channels(settings.amqp_uri,
                     channel(org, "webhook", http_receiver.url("webhook")),
                     channel(org, "wecom", http_receiver.url("wecom")),
                     channel(org, "dingtalk", http_receiver.url("dingtalk"), secret=DINGTALK_SECRET),
                     channel(org, "email", "kexie@example.cn, duty@example.cn"))
    publish(settings.amqp_uri, status("lagging", responsible=(org,)))
    eventually(lambda: len(http_receiver.received) == 3, what="webhook, WeCom and DingTalk deliveries")
    assert http_receiver.problems == []
    (hook,) = http_receiver.of("webhook")
    assert hook.body["status"] == "firing" and hook.body["groupLabels"] == {"org": org}
    (alert,) = hook.body["alerts"]
    assert alert["labels"] == {"alertname": "KepuIndicatorBehind", "indicator": "caravan-tours", "window": "2025",
                               "scope": "dangshan", "org": org, "severity": "warning"}
    assert alert["annotations"]["summary"].startswith("科普大篷车巡展（2025年）：滞后，已完成4场次")
    assert re.fullmatch(rf"kepu-{org}-news-1-[0-9a-f]{{8}}-channel-\d+", hook.headers["X-Kepu-Delivery"])
    (wecom,) = http_receiver.of("wecom")
    assert "科普大篷车巡展（2025年）：滞后" in wecom.body["markdown"]["content"]
    (ding,) = http_receiver.of("dingtalk")
    assert ding.body["markdown"]["title"].startswith("【科普工作预警】")
    mail = eventually(lambda: [m for m in smtp_server.messages() if org in m["Message-ID"]], what="the mail")
    assert subject(mail[0]).startswith("【科普工作预警】") and mail[0]["To"] == "kexie@example.cn, duty@example.cn"
    pushed = eventually(lambda: [a for a in alertmanager.alerts() if a["labels"].get("org") == org],
                        what="the alert in Alertmanager")
    assert pushed[0]["labels"]["severity"] == "warning" and pushed[0]["status"]["state"] == "active"
    assert pushed[0]["annotations"]["summary"].startswith("科普大篷车巡展（2025年）：滞后")
    sent = eventually(lambda: [d for d in deliveries_of(rpc, org) if d["status"] == "sent"]
                      if len([d for d in deliveries_of(rpc, org) if d["status"] == "sent"]) == 6 else None,
                      what="six deliveries marked sent (log, Alertmanager and four channels)")
    assert {d["kind"] for d in sent} == {"log", "alertmanager", "webhook", "wecom", "dingtalk", "email"}

    publish(settings.amqp_uri, status("on_track", responsible=(org,), actual=9))
    resolved = eventually(lambda: [r for r in http_receiver.of("webhook") if r.body["status"] == "resolved"],
                          what="the resolved notice")
    assert resolved[0].body["alerts"][0]["status"] == "resolved"
    eventually(lambda: [a for a in alertmanager.alerts() if a["labels"].get("org") == org] == [],
               what="the alert resolved in Alertmanager")


@pytest.mark.parametrize("database_url_template", ["sqlite"], indirect=True)
def test_a_receiver_down_for_a_while_gets_the_digest_once(start_notifications, rpc, settings, http_receiver):
    container = start_notifications()
    org = "cast-flaky"
    http_receiver.fail_next = 2
    publish_channels(settings.amqp_uri, channel(org, "webhook", http_receiver.url("webhook")))
    publish(settings.amqp_uri, status("lagging", responsible=(org,)))
    eventually(lambda: http_receiver.of("webhook"), what="the webhook delivery")
    (hook,) = eventually(lambda: [d for d in deliveries_of(rpc, org) if d["kind"] == "webhook" and d["status"] == "sent"],
                         what="the webhook delivery marked sent")
    rounds_ran(container)  # later rounds leave a sent delivery alone
    assert len(http_receiver.of("webhook")) == 1 and http_receiver.refused == 2
    assert hook["attempts"] == 3


@pytest.mark.parametrize("database_url_template", ["sqlite", "postgresql"], indirect=True)
def test_a_receiver_down_for_good_is_parked_and_the_other_channels_are_unaffected(
        start_notifications, rpc, settings, http_receiver):
    start_notifications()
    org = "cast-dead"
    from libs.localenv.ports import free_port
    dead = f"http://127.0.0.1:{free_port()}/hooks/gone?token=very-secret-token"
    publish_channels(settings.amqp_uri, channel(org, "webhook", dead),
                     channel(org, "wecom", http_receiver.url("wecom")))
    publish(settings.amqp_uri, status("lagging", responsible=(org,)))
    eventually(lambda: http_receiver.of("wecom"), what="the WeCom delivery")
    parked = eventually(lambda: [d for d in rpc.list_deliveries(failed=True) if d["org"] == org
                                 and d["status"] == "parked"], what="the dead channel's delivery parked")
    assert parked[0]["attempts"] == 3 and "ConnectionError" in parked[0]["last_error"]
    assert "very-secret-token" not in parked[0]["last_error"]  # secrets never stored in errors
    assert rpc.retry_deliveries([parked[0]["delivery_id"]]) == 1
    eventually(lambda: [d for d in rpc.list_deliveries() if d["delivery_id"] == parked[0]["delivery_id"]
                        and d["status"] == "parked"], what="parked again after three more attempts")
    assert len(http_receiver.of("wecom")) == 1


@pytest.mark.parametrize("database_url_template", ["sqlite", "postgresql"], indirect=True)
def test_two_notifications_services_send_each_digest_once(start_notifications, rpc, settings, http_receiver):
    twins = start_notifications(), start_notifications()
    publish_channels(settings.amqp_uri, *(channel(org, "webhook", http_receiver.url("webhook"))
                                               for org in ("twin-a", "twin-b")))
    changes = [status("lagging", indicator=f"ind-{i}", responsible=("twin-a", "twin-b")) for i in range(10)]
    publish(settings.amqp_uri, *changes, changes[0], changes[3])  # and two redelivered
    every_news = sorted((f"kepu-{org}", f"ind-{i}") for org in ("twin-a", "twin-b") for i in range(10))

    def told_new() -> list[tuple[str, str]]:
        return sorted((h.body["receiver"], line.split("（")[0].split(". ", 1)[1]) for h in http_receiver.of("webhook")
                      for line in new_section(h.body["kepu"]["text"]))

    eventually(lambda: set(told_new()) == set(every_news), what="every alert told to both departments")
    rounds_ran(*twins)  # rounds of both services have run since: a double would have been composed
    eventually(lambda: all(d["status"] == "sent" for org in ("twin-a", "twin-b") for d in deliveries_of(rpc, org)),
               what="every delivery of the twins sent")
    keys = [h.headers["X-Kepu-Delivery"] for h in http_receiver.of("webhook")]
    assert len(keys) == len(set(keys)), keys
    assert told_new() == every_news
    assert len([a for a in rpc.list_alerts("firing") if a["indicator"].startswith("ind-")]) == 10
