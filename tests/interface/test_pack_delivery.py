"""The 调度会 pack handed to notifications on the real broker reaches a real mail server (aiosmtpd)
as attachments exactly once, though it is handed over again after notifications restarted
(what the gateway's courier does when it cannot tell whether its first call went through)."""
from __future__ import annotations

import base64
import email.policy
import itertools

import pytest
from nacl.encoding import Base64Encoder

from libs.common.rpc import ClusterRpcProxy
from services.notifications.service import NotificationsService
from services.notifications.settings import NotificationSettings
from tests.eventually import eventually
from tests.interface.helpers import declare
from tests.interface.test_alert_delivery import KEY, channel, publish_channels, subject

offices = (f"pack-office-{n}" for n in itertools.count(1))  # one mail server for the session
PDF, XLSX = b"%PDF-1.7 the pack", b"PK\x03\x04 the tables"
FILES = [("砀山县2025年第二季度调度会材料.pdf", "application/pdf", PDF),
         ("砀山县2025年第二季度调度会材料.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          XLSX)]
LINE = "2025年第二季度调度会材料已生成，请在门户下载：http://127.0.0.1:8480/office/packs/2025Q2"


@pytest.fixture
def config(settings, smtp_server) -> dict:
    alerts = NotificationSettings(
        alert_working_hours="always", alert_working_days="1-7", delivery_retry_base=0.2, delivery_retry_cap=0.5,
        delivery_attempts=3, delivery_timeout=3.0, smtp_host="127.0.0.1", smtp_port=smtp_server.port,
        smtp_starttls=True, smtp_ca_file=smtp_server.cert, channel_private_key=KEY.encode(Base64Encoder).decode())
    return settings.nameko_config() | alerts.nameko_config()


def hand_over(rpc, office: str) -> dict:
    files = [{"filename": name, "content_type": kind, "content_b64": base64.b64encode(content).decode()}
             for name, kind, content in FILES]
    return rpc.deliver_documents(office, "pack:2025Q2", "砀山县2025年第二季度调度会材料", LINE, files)


def mails_to(office: str, smtp_server) -> list:
    return [email.message_from_bytes(m.as_bytes(), policy=email.policy.default) for m in smtp_server.messages()
            if f"<kepu-{office}-documents-" in m["Message-ID"]]


@pytest.mark.parametrize("database_url_template", ["sqlite", "postgresql"], indirect=True)
def test_the_pack_arrives_as_attachments_once_across_a_restart(container_factory, settings, config, smtp_server):
    declare(settings.amqp_uri)
    office = next(offices)
    first = container_factory(NotificationsService, config)
    first.start()
    publish_channels(settings.amqp_uri, channel(office, "email", "office@example.cn"))
    with ClusterRpcProxy(config, timeout=10) as proxy:
        handed = hand_over(proxy.notifications, office)
    first.stop()  # whether the mail went out before the stop or not
    container_factory(NotificationsService, config).start()
    with ClusterRpcProxy(config, timeout=10) as proxy:
        again = hand_over(proxy.notifications, office)
        assert handed["created"] and not again["created"] and again["digest_id"] == handed["digest_id"]
        eventually(lambda: all(d["status"] == "sent" for d in proxy.notifications.list_deliveries()
                               if d["org"] == office), what="the pack's deliveries sent")
        assert proxy.notifications.documents_received(office, "pack:2025Q2")["digest_id"] == handed["digest_id"]
    (mail,) = eventually(lambda: mails_to(office, smtp_server), what="the mail")
    assert subject(mail) == "砀山县2025年第二季度调度会材料" and mail["To"] == "office@example.cn"
    assert mail.get_body(("plain",)).get_content().strip() == LINE
    assert [(a.get_filename(), a.get_content_type(), a.get_content()) for a in mail.iter_attachments()] == FILES
    assert len(mails_to(office, smtp_server)) == 1  # every delivery is sent: nothing left that could send it again
