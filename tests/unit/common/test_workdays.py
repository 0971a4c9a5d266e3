"""China's working days (libs/common/workdays.py): holidays, 调休 make-up days, unknown years."""
from __future__ import annotations

import datetime as dt
import logging

import pytest

from libs.common import workdays
from libs.common.workdays import WorkdayCalendar

D = dt.date
CHINA = workdays.china()


def fresh() -> WorkdayCalendar:
    """A calendar of its own, so that warnings already given by another test do not hide this one's."""
    return WorkdayCalendar.from_package()


def test_the_package_knows_every_year_of_the_plans_so_far():
    assert set(range(2021, 2027)) <= workdays.known_years()
    assert CHINA.knows(2025) and not CHINA.knows(2099)


@pytest.mark.parametrize("day", [D(2025, 10, d) for d in range(1, 9)])
def test_national_day_2025_is_eight_days_off(day):
    assert not workdays.is_working_day(day)


@pytest.mark.parametrize("day,weekday", [(D(2025, 9, 28), "Sunday"), (D(2025, 10, 11), "Saturday")])
def test_make_up_working_days_of_national_day_2025(day, weekday):
    assert day.strftime("%A") == weekday
    assert workdays.is_working_day(day)


def test_a_deadline_falling_in_national_day_week_moves_to_october_9():
    assert workdays.add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 9)


def test_spring_festival_2025():
    assert not any(workdays.is_working_day(D(2025, 1, 28) + dt.timedelta(days=i)) for i in range(8))  # Jan 28–Feb 4
    assert workdays.is_working_day(D(2025, 1, 26))  # Sunday, worked
    assert workdays.is_working_day(D(2025, 2, 8))  # Saturday, worked
    assert workdays.add_working_days(D(2025, 1, 27), 1) == D(2025, 2, 5)


def test_an_ordinary_weekend_is_not_worked():
    assert not workdays.is_working_day(D(2025, 6, 14)) and not workdays.is_working_day(D(2025, 6, 15))
    assert workdays.is_working_day(D(2025, 6, 16))


def test_zero_working_days_is_the_day_itself_even_a_holiday():
    assert workdays.add_working_days(D(2025, 10, 1), 0) == D(2025, 10, 1)
    assert workdays.add_working_days(D(2025, 6, 16), 0) == D(2025, 6, 16)


def test_one_working_day_never_counts_the_day_itself():
    assert workdays.add_working_days(D(2025, 6, 16), 1) == D(2025, 6, 17)  # Monday -> Tuesday
    assert workdays.add_working_days(D(2025, 6, 13), 1) == D(2025, 6, 16)  # Friday -> Monday
    assert workdays.add_working_days(D(2025, 9, 26), 1) == D(2025, 9, 28)  # Friday -> the worked Sunday


def test_counting_crosses_into_the_next_year():
    assert workdays.add_working_days(D(2024, 12, 31), 1) == D(2025, 1, 2)  # Jan 1 is off
    assert workdays.add_working_days(D(2025, 12, 31), 1) == D(2026, 1, 4)  # Jan 1–3 off, Sunday Jan 4 worked


def test_negative_counts_go_back():
    assert workdays.add_working_days(D(2025, 10, 9), -1) == D(2025, 9, 30)
    assert workdays.add_working_days(D(2025, 10, 13), -1) == D(2025, 10, 11)  # the worked Saturday
    assert workdays.add_working_days(D(2025, 10, 13), -3) == D(2025, 10, 9)


def test_an_unknown_year_is_plain_weekdays_with_one_warning(caplog):
    calendar = fresh()
    with caplog.at_level(logging.WARNING, logger="libs.common.workdays"):
        assert calendar.is_working_day(D(2099, 1, 1))  # a Thursday; New Year's Day, but unknown
        assert not calendar.is_working_day(D(2099, 1, 3))  # Saturday
        assert calendar.add_working_days(D(2099, 1, 2), 1) == D(2099, 1, 5)  # Friday -> Monday
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "chinesecalendar does not know 2099's holidays yet: treating Monday–Friday as working days; "
        "upgrade chinesecalendar (pip install -U chinesecalendar, then pin it in requirements.lock)"]
    assert not calendar.knows(2099)


def test_each_unknown_year_is_warned_about_once(caplog):
    calendar = fresh()
    with caplog.at_level(logging.WARNING, logger="libs.common.workdays"):
        assert calendar.add_working_days(D(2098, 12, 31), 2) == D(2099, 1, 2)
        calendar.is_working_day(D(2098, 6, 1))
    assert [r.getMessage()[:40] for r in caplog.records] == [
        "chinesecalendar does not know 2099's hol", "chinesecalendar does not know 2098's hol"]


def test_a_known_year_is_never_warned_about(caplog):
    with caplog.at_level(logging.WARNING, logger="libs.common.workdays"):
        fresh().add_working_days(D(2025, 1, 1), 60)
    assert caplog.records == []


def test_a_calendar_is_built_from_any_tables():
    """Tests and a county with local days off can give their own tables."""
    calendar = WorkdayCalendar(holidays=[D(2030, 1, 1)], make_up_days=[D(2030, 1, 5)])
    assert calendar.known_years() == {2030}
    assert not calendar.is_working_day(D(2030, 1, 1))
    assert calendar.is_working_day(D(2030, 1, 5))  # a Saturday
    assert calendar.add_working_days(D(2029, 12, 31), 1) == D(2030, 1, 2)
