"""Digests on an injected clock: what each recipient is sent, when, and what never goes out.

The use cases (``app.apply_status_changes``, ``app.run_round``) on a real SQLite database in
memory with the fictional plan; the clock is a parameter, so hours and weeks pass in microseconds.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select

from libs.common.events import OrgChannelChanged
from services.notifications import app
from services.notifications.models import Alert, Delivery, Digest
from services.notifications.settings import AlertRoute
from tests.unit.notifications.county import (
    ASSOCIATION,
    BOOTHS,
    DAY,
    HOUR,
    KEY,
    LIBRARY,
    MINUTE,
    OFFICE,
    UTC,
    County,
    change,
)

MEETINGS = "steering-meetings"


def test_fire_then_digest_then_reminder_then_resolved_notice():
    county = County()
    county.feed(change())
    assert county.round() == {}  # group wait: more news may come
    sent = county.round(after=MINUTE)
    assert set(sent) == {ASSOCIATION, OFFICE}
    digest = sent[ASSOCIATION]
    assert digest.kind == "news" and digest.title == "【科普工作预警】青岚县科协：1项指标滞后或未完成"
    assert "新情况：\n1. 观星展位（2025年）：滞后，已完成4个，按进度应完成8个" in digest.text
    assert county.round(after=HOUR) == {}  # told already: nothing until the reminder
    reminder = county.round(after=7 * DAY)
    assert reminder[ASSOCIATION].kind == "reminder" and "仍需跟进：\n1. 观星展位" in reminder[ASSOCIATION].text
    county.feed(change(status="on_track", actual=8))
    assert county.round(after=MINUTE) == {}  # within the group interval of the reminder
    resolved = county.round(after=10 * MINUTE)
    assert resolved[ASSOCIATION].title == "【科普工作预警】青岚县科协：1项指标已恢复"
    assert "已恢复：\n1. 观星展位（2025年）：已恢复" in resolved[ASSOCIATION].text
    assert county.round(after=30 * DAY) == {}  # a resolved alert is reported once, never reminded



def test_a_digest_writes_figures_whole_as_the_plan_says():
    county = County()
    assert county.rules.whole[BOOTHS]  # 个: the fictional plan's booths are counted
    county.rules = dataclasses.replace(county.rules, whole={BOOTHS: False})  # as if the plan said `whole: false`
    county.feed(change())
    county.round()
    assert "按进度应完成7.5个" in county.round(after=MINUTE)[ASSOCIATION].text

def test_news_within_the_group_interval_waits_for_it():
    county = County()
    county.feed(change())
    county.round(after=MINUTE)
    county.feed(change(MEETINGS, status="lagging", actual=6))
    assert county.round(after=2 * MINUTE) == {}  # 3 minutes after the last digest: group interval is 10
    later = county.round(after=8 * MINUTE)
    assert [i["indicator"] for i in later[ASSOCIATION].items] == [
        MEETINGS, BOOTHS]  # the new one first, then the one still firing
    assert [i["section"] for i in later[ASSOCIATION].items] == ["new", "firing"]


def test_two_departments_get_separate_digests_and_the_office_both():
    county = County()
    county.feed(change(BOOTHS, responsible=(ASSOCIATION,)), change(MEETINGS, responsible=(LIBRARY,)))
    sent = county.round(after=MINUTE)
    assert [i["indicator"] for i in sent[ASSOCIATION].items] == [BOOTHS]
    assert [i["indicator"] for i in sent[LIBRARY].items] == [MEETINGS]
    assert sorted(i["indicator"] for i in sent[OFFICE].items) == [BOOTHS, MEETINGS]
    assert sent[LIBRARY].title.startswith("【科普工作预警】青岚县图书馆")


def test_quiet_hours_defer_a_digest_to_the_next_working_morning():
    county = County()
    county.now = dt.datetime(2025, 10, 17, 9, 59, 30, tzinfo=UTC)  # Friday 17:59:30 in Asia/Shanghai
    county.feed(change())
    assert county.round(after=MINUTE) == {}  # due at 18:00:30: after hours
    assert county.round(after=DAY) == {}  # Saturday
    county.now = dt.datetime(2025, 10, 20, 0, 59, tzinfo=UTC)  # Monday 08:59
    assert county.round() == {}
    assert set(county.round(after=MINUTE)) == {ASSOCIATION, OFFICE}  # Monday 09:00


def test_a_silence_holds_digests_until_it_expires_and_the_alert_stays_visible():
    county = County()
    county.feed(change())
    (alert,) = county.session.scalars(select(Alert))
    app.silence(county.session, {"indicator": BOOTHS, "reason": "展位检修", "created_by": "ops", "hours": 2},
                county.rules, county.now)
    assert county.round(after=MINUTE) == {}
    assert county.round(after=HOUR) == {}
    assert alert.state == "firing"
    assert set(county.round(after=HOUR)) == {ASSOCIATION, OFFICE}  # expired: the news goes out


def test_a_silence_for_one_organisation_leaves_the_others_informed():
    county = County()
    county.feed(change())
    app.silence(county.session, {"org": OFFICE, "reason": "办公室另行跟踪", "created_by": "ops", "hours": 24},
                county.rules, county.now)
    assert set(county.round(after=MINUTE)) == {ASSOCIATION}


def test_a_late_start_records_history_and_sends_one_summary_to_the_office():
    county = County()
    late = dt.date(2026, 11, 29)
    flood = [change(f"indicator-{i}", status="missed", window=window, actual=1, as_of=late,
                    responsible=(ASSOCIATION if i % 2 else LIBRARY,))
             for i in range(6) for window in ("2024Q1", "2024Q2", "2024Q3")]
    transitions = county.feed(*flood)
    assert len(transitions) == 18 and all(t.historical for t in transitions)
    sent = county.round(after=MINUTE)
    assert list(sent) == ["history"]
    summary = sent["history"]
    assert summary.org == OFFICE and summary.title == (
        "【历史窗口汇总】监测开始（2026年11月29日）前已结束的18个指标窗口未达标")
    assert "青岚县科协（9项）：" in summary.text and "青岚县图书馆（9项）：" in summary.text
    assert county.round(after=30 * DAY) == {}  # once only, never reminded
    assert county.session.scalar(select(Alert).where(Alert.window == "2024Q1")).state == "firing"  # still visible


def test_a_plan_without_an_office_records_history_and_summarises_it_to_nobody():
    county = County(office=None)  # the fictional plan as it is
    county.feed(*(change(f"indicator-{i}", status="missed", window="2024Q1", as_of=dt.date(2026, 11, 29))
                  for i in range(3)))
    assert county.round(after=DAY) == {}
    assert all(a.historical and a.summarised_at for a in county.session.scalars(select(Alert)))


def test_a_window_closing_after_monitoring_began_is_news_not_history():
    county = County()
    county.feed(change(window="2025", as_of=dt.date(2025, 10, 13)))  # monitoring began here
    (t,) = county.feed(change(window="2025Q4", status="missed", as_of=dt.date(2026, 1, 1)))
    assert not t.historical  # closed 2025-12-31, after monitoring began
    (t,) = county.feed(change(window="2025Q3", status="missed", as_of=dt.date(2026, 1, 1)))
    assert t.historical  # closed 2025-09-30, before monitoring began


def test_a_redelivered_status_event_opens_one_alert_and_one_digest():
    county = County()
    event = change()
    county.feed(event, event)
    county.feed(event)
    assert len(county.round(after=MINUTE)) == 2
    assert county.session.query(Alert).count() == 1


def test_routes_add_recipients_by_severity():
    county = County(routes=(AlertRoute(severity="critical", to=[LIBRARY]),))
    county.feed(change(status="missed"), change(MEETINGS, status="lagging"))
    sent = county.round(after=MINUTE)
    assert [i["indicator"] for i in sent[LIBRARY].items] == [BOOTHS]


def test_each_digest_gets_one_delivery_per_channel_and_the_log():
    county = County()
    app.apply_channel_changes(county.session, [OrgChannelChanged(
        channel_id=channel_id, org=org, kind=kind, sealed_target=KEY.seal("https://example.org/x" if kind != "email" else "a@b.cn"),
        changed_at=county.now) for channel_id, org, kind in ((1, ASSOCIATION, "wecom"), (2, ASSOCIATION, "email"),
                                                            (3, LIBRARY, "webhook"))])
    app.apply_channel_changes(county.session, [OrgChannelChanged(
        channel_id=2, org=ASSOCIATION, kind="email", sealed_target=KEY.seal("a@b.cn"), removed=True, changed_at=county.now + MINUTE)])
    county.feed(change())
    county.round(after=MINUTE)
    rows = county.session.execute(select(Delivery.org, Delivery.channel_key).order_by(Delivery.id)).all()
    assert [tuple(r) for r in rows] == [(OFFICE, "log"), (ASSOCIATION, "log"), (ASSOCIATION, "channel-1")]


def test_a_site_alertmanager_gets_news_but_not_the_history_summary():
    county = County(alertmanager_url="http://alertmanager.example:9093")
    county.feed(change(), change("old", status="missed", window="2024Q1", as_of=dt.date(2025, 10, 13)))
    county.round(after=MINUTE)
    rows = county.session.execute(select(Digest.org, Digest.kind, Delivery.channel_key)
                                  .join(Digest, Digest.id == Delivery.digest_id).order_by(Delivery.id)).all()
    assert [tuple(r) for r in rows] == [(OFFICE, "news", "log"), (OFFICE, "news", "alertmanager"),
                                        (ASSOCIATION, "news", "log"), (ASSOCIATION, "news", "alertmanager"),
                                        (OFFICE, "history", "log")]


def test_a_window_swinging_between_lagging_and_at_risk_is_not_news_each_time():
    county = County()
    county.feed(change())
    county.round(after=MINUTE)
    for status in ("at_risk", "lagging", "at_risk", "lagging"):
        county.feed(change(status=status))
        assert county.round(after=HOUR) == {}, status
    county.feed(change(status="missed", window="2025"))  # worse: news
    assert set(county.round(after=HOUR)) == {ASSOCIATION, OFFICE}


def test_a_missed_window_is_reminded_within_the_look_back_then_no_more():
    county = County()
    county.feed(change(window="2025", as_of=dt.date(2025, 10, 13)))
    county.round(after=MINUTE)
    county.feed(change(window="2025", status="missed", as_of=dt.date(2026, 1, 1)))
    assert county.round(after=HOUR)[ASSOCIATION].kind == "news"
    assert county.round(after=7 * DAY)[ASSOCIATION].kind == "reminder"
    county.feed(change(MEETINGS, window="2026Q2", as_of=dt.date(2026, 4, 15)))  # the clock moved on
    sent = county.round(after=30 * DAY)
    assert [i["indicator"] for i in sent[ASSOCIATION].items] == [MEETINGS]  # 2025 closed over 90 days ago
    alert = county.session.scalar(select(Alert).where(Alert.indicator == BOOTHS))
    assert alert.historical and alert.state == "firing"  # still listed, no longer reminded


def test_a_recipient_dropped_from_an_alert_still_hears_that_it_recovered():
    county = County()
    county.feed(change(responsible=(ASSOCIATION, LIBRARY)))
    assert set(county.round(after=MINUTE)) == {ASSOCIATION, LIBRARY, OFFICE}
    county.feed(change(responsible=(ASSOCIATION,)))  # the plan no longer names the library
    county.feed(change(status="on_track", actual=8, responsible=(ASSOCIATION,)))
    sent = county.round(after=HOUR)
    assert set(sent) == {ASSOCIATION, LIBRARY, OFFICE}
    assert sent[LIBRARY].title == "【科普工作预警】青岚县图书馆：1项指标已恢复"


def test_a_history_flood_in_several_batches_is_still_one_summary():
    county = County()
    late = dt.date(2026, 11, 29)
    county.feed(*(change(f"first-{i}", status="missed", window="2024Q2", as_of=late) for i in range(3)))
    assert county.round(after=dt.timedelta(seconds=5)) == {}
    county.now += dt.timedelta(seconds=10)
    county.feed(*(change(f"second-{i}", status="missed", window="2024Q3", as_of=late) for i in range(2)))
    assert county.round(after=dt.timedelta(seconds=30)) == {}  # not quiet for long enough yet
    (summary,) = county.round(after=MINUTE).values()
    assert len(summary.items) == 5
    assert county.round(after=DAY) == {}
