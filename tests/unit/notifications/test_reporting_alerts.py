"""Reporting duties as alerts in notifications (``app.apply_duty_changes``) on SQLite in memory:
one alert per organisation and duty whatever the order or repetition of its events, silences by
the duty's key or topic, history never sent, and the digest's words."""
from __future__ import annotations

import datetime as dt

import pytest

from libs.common.errors import BadRequest
from libs.common.events import ReportingDutyChanged, make_envelope
from services.notifications import app
from tests.unit.notifications.county import BOOTHS, DAY, MINUTE, County, change

TOWN = "town-a"


def duty(state: str, sequence: int, period: str = "2025Q3", campaign: str | None = None, days_left: int | None = None,
         as_of: dt.date = dt.date(2025, 10, 17), due: dt.date = dt.date(2025, 10, 21)):
    return make_envelope("activities", ReportingDutyChanged(
        org=TOWN, org_name="东岚镇", period=period, campaign=campaign, campaign_name="观星科普夜" if campaign else "",
        state=state, starts=dt.date(2025, 7, 1), due=due, days_left=days_left, as_of=as_of, sequence=sequence))


def feed(county: County, *envelopes) -> list[app.Transition]:
    return app.apply_duty_changes(county.session, list(envelopes), county.rules, county.now)


def alerts(county: County) -> list[tuple]:
    return [(a.indicator, a.window, a.scope, a.state, a.status, a.recipients)
            for a in app.list_alerts(county.session, county.now)]


def test_one_alert_per_duty_however_its_changes_repeat_or_arrive_out_of_order():
    county = County()
    reminder, overdue = duty("reminder", 1, days_left=2), duty("overdue", 3)
    feed(county, reminder, overdue, reminder, duty("reminder", 2, days_left=1))  # late and repeated: skipped
    assert alerts(county) == [("reporting", "2025Q3", TOWN, "firing", "overdue", [TOWN, county.rules.office])]
    (view,) = app.list_alerts(county.session, county.now)  # what ListAlerts and the portal show: the line itself
    assert (view.topic, view.due, view.text) == ("reporting", "2025-10-21", "逾期未报送：2025年第三季度（截止2025年10月21日）")
    feed(county, duty("resolved", 4))
    assert alerts(county)[0][3:5] == ("resolved", "resolved")


def test_a_reminder_goes_to_the_organisation_alone_and_overdue_is_news_to_it_and_the_office():
    county = County()
    feed(county, duty("reminder", 1, days_left=2))
    sent = county.round(after=MINUTE)
    assert list(sent) == [TOWN]
    assert sent[TOWN].title == "【科普报送提醒】东岚镇：1项报送待跟进"
    assert "新情况：\n1. 2025年第三季度报送：截止2025年10月21日，尚未报送（还剩2个工作日）" in sent[TOWN].text
    feed(county, duty("overdue", 2, as_of=dt.date(2025, 10, 22)))
    sent = county.round(after=DAY)
    assert set(sent) == {TOWN, county.rules.office}
    assert "1. 逾期未报送：2025年第三季度（截止2025年10月21日）" in sent[TOWN].text
    assert "1. 逾期未报送的单位（2025年第三季度，截止2025年10月21日）：东岚镇" in sent[county.rules.office].text
    assert sent[county.rules.office].text.endswith("请督促上述单位及时开展并报送；各单位情况见门户“全县总览”。")
    assert sent[TOWN].text.endswith("请及时组织开展并报送活动数据；如有疑问请联系县科协（领导小组办公室）。")


@pytest.mark.parametrize("key", ["reporting", "campaign", "campaign:star_night"])
def test_a_silence_of_a_duty_key_or_topic_holds_its_lines_and_leaves_indicators_alone(key):
    county = County()
    feed(county, duty("reminder", 1, days_left=2), duty("reminder", 1, period="2025", campaign="star_night"))
    county.feed(change(BOOTHS))
    app.silence(county.session, {"indicator": key, "reason": "报送系统维护", "created_by": "ops", "hours": 24},
                county.rules, county.now)
    sent = county.round(after=MINUTE)
    muted = {"reporting": {"reporting"}, "campaign": {"campaign:star_night"}, "campaign:star_night": {"campaign:star_night"}}
    assert {i["indicator"] for d in sent.values() for i in d.items} == {"reporting", "campaign:star_night",
                                                                        BOOTHS} - muted[key]
    assert [a.indicator for a in app.list_alerts(county.session, county.now) if a.silenced_by] == sorted(muted[key])


def test_a_silence_naming_no_duty_key_is_refused():
    county = County()
    with pytest.raises(BadRequest) as refused:
        app.silence(county.session, {"indicator": "campaign:caravan", "reason": "无此活动", "created_by": "ops",
                                     "hours": 1}, county.rules, county.now)
    assert refused.value.violations[0].code == "unknown_indicator"


def test_a_duty_due_longer_ago_than_the_look_back_is_history_summarised_once_to_the_office():
    county = County()
    (opened,) = feed(county, duty("overdue", 1, period="2025-03", due=dt.date(2025, 4, 8), as_of=dt.date(2025, 10, 17)))
    assert opened.historical
    sent = county.round(after=MINUTE)
    assert list(sent) == ["history"] and "东岚镇" not in sent["history"].title
    assert county.round(after=30 * DAY) == {}


def test_a_digest_with_indicators_and_duties_counts_both_in_its_title():
    county = County()
    county.feed(change(BOOTHS, responsible=(TOWN,)))
    feed(county, duty("reminder", 1, days_left=2))
    assert county.round(after=MINUTE)[TOWN].title == "【科普工作预警】东岚镇：1项指标滞后或未完成，1项报送待跟进"
