"""Digests on an injected clock: what each recipient is sent, when, and what never goes out.

The use cases (``app.apply_changes``, ``app.run_round``) on a real SQLite database in memory;
the clock is a parameter, so hours and weeks pass in microseconds.
"""
from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from libs.common.events import IndicatorStatusChanged, OrgChannelChanged, make_envelope
from libs.common.schedule import WorkingHours
from libs.common.settings import AlertRoute
from services.notifications import app, delivery, digests
from services.notifications.models import Alert, Base, Delivery, Digest

UTC = dt.timezone.utc
MONDAY_10 = dt.datetime(2025, 10, 13, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
MINUTE, HOUR, DAY = dt.timedelta(minutes=1), dt.timedelta(hours=1), dt.timedelta(days=1)
NAMES = {"cast": "县科协", "edu": "县教育局", "office": "领导小组办公室", "agri": "县农业农村局"}
sequence = itertools.count(1)


def change(indicator: str = "caravan-tours", status: str = "lagging", window: str = "2025", actual: float = 4,
           responsible: tuple[str, ...] = ("cast",), as_of: dt.date = dt.date(2025, 10, 13)):
    return make_envelope("indicators", IndicatorStatusChanged(
        indicator=indicator, indicator_name={"caravan-tours": "科普大篷车巡展"}.get(indicator, indicator),
        window=window, scope="dangshan", previous=None, status=status, actual=actual, expected=7.5, target=10,
        unit="场次", as_of=as_of, responsible=list(responsible), sequence=next(sequence)))


class County:
    """A notifications database and a clock that only moves when told."""

    def __init__(self, hours: str = "09:00-18:00", routes: list[AlertRoute] | None = None):
        engine = create_engine("sqlite://")
        Base.metadata.create_all(engine)
        self.session = Session(engine)
        self.now = MONDAY_10
        self.policy = app.Policy("office", routes or [], lookback_days=90)
        self.ctx = app.Round(digests.Timing.of_seconds(60, 600, 7 * 86400),
                             WorkingHours.from_settings("Asia/Shanghai", hours, "1-5"), "office", NAMES)

    def feed(self, *envelopes) -> list[app.Transition]:
        out = app.apply_changes(self.session, list(envelopes), self.policy, self.now)
        self.session.commit()
        return out

    def round(self, after: dt.timedelta = dt.timedelta(0)) -> dict[str, Digest]:
        self.now += after
        made = app.run_round(self.session, self.now, self.ctx)
        self.session.commit()
        assert len({d.org for d in made if d.kind != "history"}) == len([d for d in made if d.kind != "history"])
        return {d.org if d.kind != "history" else "history": d for d in made}


def test_fire_then_digest_then_reminder_then_resolved_notice():
    county = County()
    county.feed(change())
    assert county.round() == {}  # group wait: more news may come
    sent = county.round(after=MINUTE)
    assert set(sent) == {"cast", "office"}
    digest = sent["cast"]
    assert digest.kind == "news" and digest.title == "【科普工作预警】县科协：1项指标滞后或未完成"
    assert "新情况：\n1. 科普大篷车巡展（2025年）：滞后，已完成4场次，按进度应完成7.5场次" in digest.text
    assert county.round(after=HOUR) == {}  # told already: nothing until the reminder
    reminder = county.round(after=7 * DAY)
    assert reminder["cast"].kind == "reminder" and "仍需跟进：\n1. 科普大篷车巡展" in reminder["cast"].text
    county.feed(change(status="on_track", actual=8))
    assert county.round(after=MINUTE) == {}  # within the group interval of the reminder
    resolved = county.round(after=10 * MINUTE)
    assert resolved["cast"].title == "【科普工作预警】县科协：1项指标已恢复"
    assert "已恢复：\n1. 科普大篷车巡展（2025年）：已恢复" in resolved["cast"].text
    assert county.round(after=30 * DAY) == {}  # a resolved alert is reported once, never reminded


def test_news_within_the_group_interval_waits_for_it():
    county = County()
    county.feed(change())
    county.round(after=MINUTE)
    county.feed(change("school-lectures", status="lagging", actual=6))
    assert county.round(after=2 * MINUTE) == {}  # 3 minutes after the last digest: group interval is 10
    later = county.round(after=8 * MINUTE)
    assert [i["indicator"] for i in later["cast"].items] == [
        "school-lectures", "caravan-tours"]  # the new one first, then the one still firing
    assert [i["section"] for i in later["cast"].items] == ["new", "firing"]


def test_two_departments_get_separate_digests_and_the_office_both():
    county = County()
    county.feed(change("caravan-tours", responsible=("cast",)), change("school-lectures", responsible=("edu",)))
    sent = county.round(after=MINUTE)
    assert [i["indicator"] for i in sent["cast"].items] == ["caravan-tours"]
    assert [i["indicator"] for i in sent["edu"].items] == ["school-lectures"]
    assert sorted(i["indicator"] for i in sent["office"].items) == ["caravan-tours", "school-lectures"]
    assert sent["edu"].title.startswith("【科普工作预警】县教育局")


def test_quiet_hours_defer_a_digest_to_the_next_working_morning():
    county = County()
    county.now = dt.datetime(2025, 10, 17, 9, 59, 30, tzinfo=UTC)  # Friday 17:59:30 in Asia/Shanghai
    county.feed(change())
    assert county.round(after=MINUTE) == {}  # due at 18:00:30: after hours
    assert county.round(after=DAY) == {}  # Saturday
    county.now = dt.datetime(2025, 10, 20, 0, 59, tzinfo=UTC)  # Monday 08:59
    assert county.round() == {}
    assert set(county.round(after=MINUTE)) == {"cast", "office"}  # Monday 09:00


def test_a_silence_holds_digests_until_it_expires_and_the_alert_stays_visible():
    county = County()
    county.feed(change())
    (alert,) = county.session.scalars(select(Alert))
    app.add_silence(county.session, {"indicator": "caravan-tours", "reason": "巡展车辆检修", "created_by": "ops",
                                     "ends_at": county.now + 2 * HOUR}, county.now)
    assert county.round(after=MINUTE) == {}
    assert county.round(after=HOUR) == {}
    assert alert.state == "firing"
    assert set(county.round(after=HOUR)) == {"cast", "office"}  # expired: the news goes out


def test_a_silence_for_one_organisation_leaves_the_others_informed():
    county = County()
    county.feed(change())
    app.add_silence(county.session, {"org": "office", "reason": "办公室另行跟踪", "created_by": "ops",
                                     "ends_at": county.now + DAY}, county.now)
    assert set(county.round(after=MINUTE)) == {"cast"}


def test_a_late_start_records_history_and_sends_one_summary_to_the_office():
    county = County()
    late = dt.date(2026, 11, 29)
    flood = [change(f"indicator-{i}", status="missed", window=str(year), actual=1, as_of=late,
                    responsible=("cast" if i % 2 else "agri",)) for i in range(6) for year in (2021, 2022, 2023)]
    transitions = county.feed(*flood)
    assert len(transitions) == 18 and all(t.historical for t in transitions)
    sent = county.round(after=MINUTE)
    assert list(sent) == ["history"]
    summary = sent["history"]
    assert summary.org == "office" and summary.title == (
        "【历史窗口汇总】监测开始（2026年11月29日）前已结束的18个指标窗口未达标")
    assert "县科协（9项）：" in summary.text and "县农业农村局（9项）：" in summary.text
    assert county.round(after=30 * DAY) == {}  # once only, never reminded
    assert county.session.scalar(select(Alert).where(Alert.window == "2021")).state == "firing"  # still visible


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
    county = County(routes=[AlertRoute(severity="critical", to=["edu"])])
    county.feed(change(status="missed"), change("school-lectures", status="lagging"))
    sent = county.round(after=MINUTE)
    assert [i["indicator"] for i in sent["edu"].items] == ["caravan-tours"]


def test_each_digest_gets_one_delivery_per_channel_and_the_log():
    county = County()
    for channel_id, org, kind in ((1, "cast", "wecom"), (2, "cast", "email"), (3, "edu", "webhook")):
        app.apply_channel(county.session, OrgChannelChanged(
            channel_id=channel_id, org=org, kind=kind, target="https://example.org/x" if kind != "email" else "a@b.cn",
            changed_at=county.now))
    app.apply_channel(county.session, OrgChannelChanged(channel_id=2, org="cast", kind="email", target="a@b.cn",
                                                        removed=True, changed_at=county.now + MINUTE))
    county.feed(change())
    county.round(after=MINUTE)
    rows = county.session.execute(select(Delivery.org, Delivery.channel_key).order_by(Delivery.id)).all()
    assert [tuple(r) for r in rows] == [("cast", "log"), ("cast", "channel-1"), ("office", "log")]


def test_a_failing_delivery_backs_off_then_parks_and_a_retry_revives_it():
    county = County()
    county.feed(change())
    county.round(after=MINUTE)
    policy = delivery.RetryPolicy(base=10, cap=25, attempts=3)
    (first, *_) = delivery.claim_due(county.session, county.now, "w1", 10)
    assert delivery.claim_due(county.session, county.now, "w2", 10) != [first]  # claimed rows are not handed out twice
    outcomes = []
    for _ in range(3):
        outcomes.append(delivery.record_attempt(county.session, first, county.now, 0.1, "HTTP 502", county.now,
                                                policy, rand=lambda: 1.0))
    assert outcomes == ["failed", "failed", "parked"]
    row = county.session.get(Delivery, first)
    assert row.status == "parked" and row.attempts == 3 and row.last_error == "HTTP 502"
    assert delivery.retry_parked(county.session, county.now) == 1
    assert row.status == "pending" and row.attempts == 0


@pytest.mark.parametrize(("attempt", "rand", "pause"), [(1, 0.0, 5), (1, 1.0, 10), (2, 1.0, 20), (3, 1.0, 25),
                                                        (9, 0.0, 12.5)])
def test_backoff_doubles_with_jitter_up_to_a_cap(attempt, rand, pause):
    assert delivery.RetryPolicy(base=10, cap=25, attempts=5).pause(attempt, lambda: rand) == pause


def test_a_window_swinging_between_lagging_and_at_risk_is_not_news_each_time():
    county = County()
    county.feed(change())
    county.round(after=MINUTE)
    for status in ("at_risk", "lagging", "at_risk", "lagging"):
        county.feed(change(status=status))
        assert county.round(after=HOUR) == {}, status
    county.feed(change(status="missed", window="2025"))  # worse: news
    assert set(county.round(after=HOUR)) == {"cast", "office"}


def test_a_missed_window_is_reminded_within_the_look_back_then_no_more():
    county = County()
    county.feed(change(window="2025", as_of=dt.date(2025, 10, 13)))
    county.round(after=MINUTE)
    county.feed(change(window="2025", status="missed", as_of=dt.date(2026, 1, 1)))
    assert county.round(after=HOUR)["cast"].kind == "news"
    assert county.round(after=7 * DAY)["cast"].kind == "reminder"
    county.feed(change("school-lectures", window="2026", as_of=dt.date(2026, 4, 15)))  # the clock moved on
    sent = county.round(after=30 * DAY)
    assert [i["indicator"] for i in sent["cast"].items] == ["school-lectures"]  # 2025 closed over 90 days ago
    alert = county.session.scalar(select(Alert).where(Alert.indicator == "caravan-tours"))
    assert alert.historical and alert.state == "firing"  # still listed, no longer reminded


def test_a_recipient_dropped_from_an_alert_still_hears_that_it_recovered():
    county = County()
    county.feed(change(responsible=("cast", "edu")))
    assert set(county.round(after=MINUTE)) == {"cast", "edu", "office"}
    county.feed(change(responsible=("cast",)))  # the plan no longer names edu
    county.feed(change(status="on_track", actual=8, responsible=("cast",)))
    sent = county.round(after=HOUR)
    assert set(sent) == {"cast", "edu", "office"}
    assert sent["edu"].title == "【科普工作预警】县教育局：1项指标已恢复"


def test_a_delivery_to_a_removed_channel_is_parked_at_once():
    county = County()
    county.feed(change())
    county.round(after=MINUTE)
    (first, *_) = delivery.claim_due(county.session, county.now, "w1", 10)
    outcome = delivery.record_attempt(county.session, first, county.now, 0.0, "channel-9 was removed", county.now,
                                      delivery.RetryPolicy(10, 60, 8), final=True)
    assert outcome == "parked"


def test_a_history_flood_in_several_batches_is_still_one_summary():
    county = County()
    late = dt.date(2026, 11, 29)
    county.feed(*(change(f"first-{i}", status="missed", window="2022", as_of=late) for i in range(3)))
    assert county.round(after=dt.timedelta(seconds=5)) == {}
    county.now += dt.timedelta(seconds=10)
    county.feed(*(change(f"second-{i}", status="missed", window="2023", as_of=late) for i in range(2)))
    assert county.round(after=dt.timedelta(seconds=30)) == {}  # not quiet for long enough yet
    (summary,) = county.round(after=MINUTE).values()
    assert len(summary.items) == 5
    assert county.round(after=DAY) == {}
