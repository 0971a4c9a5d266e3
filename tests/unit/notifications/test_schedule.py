"""Working hours in the county's time zone: when digests may go out."""
from __future__ import annotations

import datetime as dt

import pytest

from services.notifications.domain.schedule import WorkingHours, parse_days, parse_hours
from services.notifications.settings import NotificationSettings, WorkingHoursSettings

UTC = dt.timezone.utc
HOURS = WorkingHours.from_settings("Asia/Shanghai", "09:00-18:00", "1-5")


@pytest.mark.parametrize(("utc", "open_", "next_local"), [
    (dt.datetime(2025, 10, 13, 1, 0), True, "2025-10-13 09:00"),  # Monday 09:00 Beijing: open
    (dt.datetime(2025, 10, 13, 10, 0), False, "2025-10-14 09:00"),  # Monday 18:00: closed until Tuesday
    (dt.datetime(2025, 10, 17, 23, 0), False, "2025-10-20 09:00"),  # Saturday 07:00: Monday
    (dt.datetime(2025, 10, 12, 16, 0), False, "2025-10-13 09:00"),  # Monday 00:00: the same morning
])
def test_open_and_next_opening_in_beijing_time(utc, open_, next_local):
    now = utc.replace(tzinfo=UTC)
    assert HOURS.is_open(now) is open_
    assert HOURS.next_open(now).astimezone(HOURS.tz).strftime("%Y-%m-%d %H:%M") == next_local


CHINA = WorkingHours.from_settings("Asia/Shanghai", "09:00-18:00", "china")


@pytest.mark.parametrize(("utc", "open_", "next_local"), [
    (dt.datetime(2025, 10, 1, 2, 0), False, "2025-10-09 09:00"),  # National Day: closed until Thursday Oct 9
    (dt.datetime(2025, 9, 28, 1, 0), True, "2025-09-28 09:00"),  # Sunday Sep 28: a 调休 working day
    (dt.datetime(2025, 10, 11, 1, 0), True, "2025-10-11 09:00"),  # Saturday Oct 11: worked too
    (dt.datetime(2025, 10, 13, 1, 0), True, "2025-10-13 09:00"),  # an ordinary Monday
    (dt.datetime(2026, 2, 14, 1, 0), True, "2026-02-14 09:00"),  # Saturday Feb 14 2026: worked before the festival
    (dt.datetime(2026, 2, 16, 2, 0), False, "2026-02-24 09:00"),  # Spring Festival 2026: Feb 15-23 off
])
def test_china_s_working_days_skip_holidays_and_keep_make_up_days(utc, open_, next_local):
    now = utc.replace(tzinfo=UTC)
    assert CHINA.is_open(now) is open_
    assert CHINA.next_open(now).astimezone(CHINA.tz).strftime("%Y-%m-%d %H:%M") == next_local


def test_china_is_the_default_and_weekdays_stay_possible():
    assert WorkingHoursSettings().working_hours().days is None
    assert WorkingHoursSettings(alert_working_days="1-5").working_hours().days == {1, 2, 3, 4, 5}


def test_always_and_every_day():
    hours = WorkingHours.from_settings("Asia/Shanghai", "always", "1-7")
    assert hours.is_open(dt.datetime(2025, 10, 18, 20, 0, tzinfo=UTC))
    assert parse_days("1,3,5-6") == {1, 3, 5, 6}


@pytest.mark.parametrize(("field", "value", "says"), [
    ("alert_working_hours", "9-18", "HH:MM-HH:MM"), ("alert_working_hours", "18:00-09:00", "before the end"),
    ("alert_working_days", "0-4", "ISO weekdays"), ("alert_timezone", "Beijing", "unknown time zone"),
])
@pytest.mark.parametrize("settings", [WorkingHoursSettings, NotificationSettings])
def test_a_typo_in_the_schedule_stops_the_settings_with_its_name(field, value, says, settings):
    with pytest.raises(ValueError) as caught:
        settings(**{field: value})
    assert field in str(caught.value) and says in str(caught.value)
    assert parse_hours("always") is None
