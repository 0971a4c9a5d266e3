"""The pack courier (services/gateway/courier.py): when a quarter's pack is due on China's
calendar, and that it is gathered, rendered and handed to notifications once, as the office's
administrator, with a fake backend (no broker, no documents process)."""
from __future__ import annotations

import base64
import datetime as dt
import logging
from types import SimpleNamespace

import pytest

from libs.common.workdays import china
from services.gateway.courier import Courier, delivery_day, due_quarter, latest_ended_quarter, meeting_day

PLAN = {"plan": {"period": {"start": 2021, "end": 2025}, "region": {"code": "qinglan", "name": "青岚县"}},
        "organisations": [{"code": "qinglan-gov", "name": "青岚县人民政府", "kind": "government"},
                          {"code": "qinglan-office", "name": "青岚县科学素质办", "kind": "office"}]}
PERIOD = PLAN["plan"]["period"]


def test_the_meeting_of_the_third_quarter_falls_after_national_day():
    # Oct 1-8 2025 are holidays and Saturday Oct 11 is worked (调休): the 10th working day is Oct 21
    assert meeting_day("2025Q3", 10, china()) == dt.date(2025, 10, 21)
    assert delivery_day("2025Q3", 10, china()) == dt.date(2025, 10, 20)  # the working day before it
    assert meeting_day("2025Q4", 10, china()) == dt.date(2026, 1, 15)
    assert delivery_day("2025Q2", 0, china()) == dt.date(2025, 7, 1)  # never before the quarter has ended


@pytest.mark.parametrize(("today", "due"), [
    (dt.date(2025, 10, 17), None),  # the 2025Q3 meeting is on Oct 21: not yet
    (dt.date(2025, 10, 20), "2025Q3"), (dt.date(2025, 12, 31), "2025Q3"),
    (dt.date(2026, 1, 14), "2025Q4"),  # the ended plan's last pack
    (dt.date(2026, 4, 30), None),  # 2026Q1 is the successor plan's
    (dt.date(2021, 2, 1), None),  # 2020Q4 is before the plan
])
def test_the_pack_due_is_the_latest_ended_quarter_s_of_the_plan_from_the_day_before_its_meeting(today, due):
    assert due_quarter(today, PERIOD, 10, china()) == due
    assert latest_ended_quarter(dt.date(2026, 1, 5)) == "2025Q4"


class Method:
    """A service method as nameko's proxy offers it: called, or ``call_async`` with ``result()``."""

    def __init__(self, answer):
        self.answer = answer

    def __call__(self, *args):
        return self.answer(*args)

    def call_async(self, *args):
        return SimpleNamespace(result=lambda: self.answer(*args))


class FakeServices:
    """The services as the gateway's proxy reaches them, answering what the courier asks."""

    def __init__(self, today: str):
        self.received: dict[tuple[str, str], dict] = {}
        self.callers: list[dict] = []
        self.activities = SimpleNamespace(today=lambda: today, revisions_as_of=Method(self._revisions),
                                          reporting_status=lambda caller, year: {"periods": []})
        self.indicators = SimpleNamespace(progress_as_of=Method(
            lambda at, revisions, year, indicator, targets_only, region: {"at": at}))
        self.organisations = SimpleNamespace(list_orgs=lambda kind: [], list_orgs_under=lambda region, kind: [])
        self.notifications = SimpleNamespace(documents_received=lambda org, key: self.received.get((org, key)),
                                             deliver_documents=self._deliver)

    def _revisions(self, caller: dict, at: str) -> list:
        self.callers.append(caller)
        return []

    def _deliver(self, org, key, title, text, files) -> dict:
        self.received[(org, key)] = {"title": title, "text": text, "files": files, "digest": "documents #1"}
        return self.received[(org, key)]


class FakeBackend:
    def __init__(self, services: FakeServices):
        self.services = services
        self.rendered: list[tuple[str, str]] = []

    def plan(self, region: str | None = None, year: int | None = None) -> dict:
        return PLAN

    def rpc(self) -> FakeServices:
        return self.services

    def render(self, make, quarter, fmt, plan, progress, towns, reporting):
        self.rendered.append((quarter, fmt))
        assert sorted(progress) == ["2025Q1", "2025Q2", "2025Q3"]  # the trend: each quarter at its end
        return f"青岚县{quarter}.{fmt}", f"application/{fmt}", f"{fmt} of {quarter}".encode()


def test_the_due_pack_goes_to_notifications_once_as_the_office_s_administrator():
    services = FakeServices(today="2025-10-20")
    backend = FakeBackend(services)
    courier = Courier(backend, "https://kepu.example.cn", 10, 600)
    assert courier.look() == "pack:2025Q3"
    assert courier.look() is None  # notifications holds it: nothing gathered or rendered again
    assert backend.rendered == [("2025Q3", "pdf"), ("2025Q3", "xlsx")]
    sent = services.received[("qinglan-office", "pack:2025Q3")]
    assert sent["title"] == "青岚县2025年第三季度调度会材料"
    assert sent["text"] == "2025年第三季度调度会材料已生成，请在门户下载：https://kepu.example.cn/office/packs/2025Q3"
    assert [(f["filename"], base64.b64decode(f["content_b64"])) for f in sent["files"]] == [
        ("青岚县2025Q3.pdf", b"pdf of 2025Q3"), ("青岚县2025Q3.xlsx", b"xlsx of 2025Q3")]
    assert {(c["org"], c["role"]) for c in services.callers} == {("qinglan-office", "admin")}


def test_a_failure_is_logged_with_the_quarter_and_tried_again_at_the_next_look(caplog):
    services = FakeServices(today="2025-10-20")

    def down(*args):
        raise TimeoutError("notifications did not answer")
    services.notifications.deliver_documents = down
    courier = Courier(FakeBackend(services), "https://kepu.example.cn", 10, 600)
    with caplog.at_level(logging.ERROR, "services.gateway.courier"):
        assert courier.look() is None
    assert "the 调度会 pack of 2025Q3" in caplog.text and "kepu report quarter 2025Q3" in caplog.text
    services.notifications.deliver_documents = services._deliver
    assert courier.look() == "pack:2025Q3"


def test_before_the_day_nothing_is_asked_of_notifications(caplog):
    services = FakeServices(today="2025-10-17")
    services.notifications = None  # any call would fail, and be logged
    with caplog.at_level(logging.ERROR, "services.gateway.courier"):
        assert Courier(FakeBackend(services), "", 10, 600).look() is None
    assert caplog.records == []
