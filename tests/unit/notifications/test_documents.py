"""Documents handed to notifications for an organisation (the 调度会 pack): stored once per key,
delivered through the outbox like digests, mail with the files attached, robots with the line
saying where to download them (SQLite in memory, fictional plan, no broker)."""
from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy

import pytest
from sqlalchemy import select

from libs.common.errors import BadRequest
from services.notifications import app
from services.notifications.channels import dingtalk_payload, email_message, wecom_payload
from services.notifications.models import Delivery
from services.notifications.schemas import MAX_DOCUMENT_BYTES
from tests.unit.notifications.county import HOUR, OFFICE, County
from tests.unit.notifications.test_use_cases import channel

LINE = "2025年第二季度调度会材料已生成，请在门户下载：https://kepu.example.cn/office/packs/2025Q2"
PDF, XLSX = b"%PDF-1.7 the pack", b"PK\x03\x04 the tables"


def pack(key: str = "pack:2025Q2", pdf: bytes = PDF) -> dict:
    return {"org": OFFICE, "key": key, "title": "青岚县2025年第二季度调度会材料", "text": LINE, "files": [
        {"filename": "青岚县2025年第二季度调度会材料.pdf", "content_type": "application/pdf",
         "content_b64": base64.b64encode(pdf).decode()},
        {"filename": "青岚县2025年第二季度调度会材料.xlsx",
         "content_type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "content_b64": base64.b64encode(XLSX).decode()}]}


def county_with_channels() -> County:
    county = County(alertmanager_url="http://alertmanager.example:9093")
    app.apply_channel_changes(county.session, [channel(1, county.now, org=OFFICE),
                                               channel(2, county.now, org=OFFICE, target="https://example.org/b"),
                                               channel(3, county.now, org=OFFICE, kind="alertmanager")])
    return county


def deliveries(county: County) -> list[Delivery]:
    return list(county.session.scalars(select(Delivery).order_by(Delivery.id)))


def test_documents_handed_over_twice_under_one_key_go_out_once():
    county = county_with_channels()
    first = app.deliver_documents(county.session, pack(), county.rules, county.now)
    again = app.deliver_documents(county.session, pack(pdf=b"%PDF made again"), county.rules, county.now + HOUR)
    assert first.created and not again.created
    assert (again.digest_id, again.digest, again.received_at) == (first.digest_id, "documents #1", first.received_at)
    # no Alertmanager, neither the site's nor the office's own: documents are no alerts
    assert [d.channel_key for d in deliveries(county)] == ["log", "channel-1", "channel-2"]
    assert app.documents_received(county.session, OFFICE, "pack:2025Q2") == again
    assert app.documents_received(county.session, OFFICE, "pack:2025Q3") is None
    third = app.deliver_documents(county.session, pack("pack:2025Q3"), county.rules, county.now)
    assert (third.created, third.digest) == (True, "documents #2")


def test_documents_outside_working_hours_wait_for_them():
    county = county_with_channels()
    evening = county.now + 10 * HOUR  # 20:00 in the county
    app.deliver_documents(county.session, pack(), county.rules, evening)
    next_morning = dt.datetime(2025, 10, 14, 1, 0, tzinfo=dt.timezone.utc)  # 09:00 on Tuesday
    assert {d.next_attempt_at for d in deliveries(county)} == {next_morning}
    assert app.claim_deliveries(county.session, evening, "worker", 10) == []


def test_the_mail_carries_the_files_with_their_chinese_names_and_the_robots_the_line():
    county = county_with_channels()
    app.deliver_documents(county.session, pack(), county.rules, county.now)
    log_job = app.load_job(county.session, deliveries(county)[0].id)
    assert log_job.files == ()  # only mail carries the bytes
    mail_row = deliveries(county)[1]
    mail_row.channel_kind = "email"  # the same digest to a mail channel
    job = app.load_job(county.session, mail_row.id)
    raw = email_message(job, "kepu@example.cn", ["office@example.cn"]).as_bytes()
    assert b"filename*" in raw  # RFC 2231: the names are not sent raw
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(message["Subject"]) == "青岚县2025年第二季度调度会材料"
    assert message.get_body(("plain",)).get_content().strip() == LINE
    files = [(a.get_filename(), a.get_content_type(), a.get_content()) for a in message.iter_attachments()]
    assert files == [("青岚县2025年第二季度调度会材料.pdf", "application/pdf", PDF),
                     ("青岚县2025年第二季度调度会材料.xlsx",
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", XLSX)]
    assert wecom_payload(log_job) == {"msgtype": "markdown", "markdown": {"content": LINE}}
    assert dingtalk_payload(log_job)["markdown"] == {"title": "青岚县2025年第二季度调度会材料", "text": LINE}


def test_documents_too_large_or_not_base64_are_refused_naming_the_field():
    county = county_with_channels()
    spec = pack()
    spec["files"][0]["content_b64"] = "not base64!"
    with pytest.raises(BadRequest) as refused:
        app.deliver_documents(county.session, spec, county.rules, county.now)
    assert [v.field for v in refused.value.violations] == ["files.0.content_b64"]
    spec = pack()
    half = base64.b64encode(bytes(MAX_DOCUMENT_BYTES // 2 + 3)).decode()
    for file in spec["files"]:
        file["content_b64"] = half
    with pytest.raises(BadRequest) as refused:
        app.deliver_documents(county.session, spec, county.rules, county.now)
    assert [(v.field, v.code) for v in refused.value.violations] == [("files", "too_large")]
    assert deliveries(county) == []  # nothing stored
