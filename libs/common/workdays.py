"""China's working days: weekends, public holidays and 调休 make-up working days.

Reporting deadlines are counted in working days ("the 10th working day after the quarter"), and in
China a working day is not simply Monday to Friday: the State Council moves days around each
holiday (National Day 2025 ran Oct 1–8; Sunday Sep 28 and Saturday Oct 11 were worked instead).
The tables come from the ``chinesecalendar`` package, which is updated each year once the State
Council publishes next year's holidays (usually in November or December); README "China's
working-day calendar" says how to keep it current.

For a year the package does not know yet, Monday to Friday count as working days and ONE warning
per year is logged: a deadline a few days off is better than a service that cannot start. Callers
that must say so to a person ask :meth:`WorkdayCalendar.knows`. Pure: no bus, no database, no clock.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from functools import cache

log = logging.getLogger(__name__)

UNKNOWN_YEAR_WARNING = ("chinesecalendar does not know %d's holidays yet: treating Monday–Friday as working days; "
                        "upgrade chinesecalendar (pip install -U chinesecalendar, then pin it in requirements.lock)")


class WorkdayCalendar:
    """Working days from a table of holidays (days off that would be weekdays, and the weekend days
    inside a holiday) and a table of make-up working days (weekend days that are worked).

    A year is known when the holiday table has a day in it: every year has New Year's Day.
    """

    def __init__(self, holidays: Iterable[dt.date], make_up_days: Iterable[dt.date]):
        self.holidays = frozenset(holidays)
        self.make_up_days = frozenset(make_up_days)
        self._known_years = frozenset(day.year for day in self.holidays)
        self._warned_years: set[int] = set()  # each unknown year is warned about once

    @classmethod
    def from_package(cls) -> WorkdayCalendar:
        """The calendar the installed ``chinesecalendar`` knows (its public tables)."""
        import chinese_calendar

        return cls(chinese_calendar.holidays, chinese_calendar.workdays)

    def known_years(self) -> frozenset[int]:
        return self._known_years

    def knows(self, year: int) -> bool:
        """Whether holidays and make-up days of ``year`` are in the tables (else: plain weekdays)."""
        return year in self._known_years

    def is_working_day(self, day: dt.date) -> bool:
        if not self.knows(day.year):
            self._warn_once(day.year)
            return day.weekday() < 5
        if day in self.make_up_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The ``n``-th working day after ``day`` (before it when ``n`` is negative); ``day`` itself
        is never counted, so n=1 from a Friday is the next Monday, and n=0 is ``day`` whatever it is."""
        step = dt.timedelta(days=1 if n > 0 else -1)
        left = abs(n)
        while left:
            day += step
            if self.is_working_day(day):
                left -= 1
        return day

    def _warn_once(self, year: int) -> None:
        if year not in self._warned_years:
            self._warned_years.add(year)
            log.warning(UNKNOWN_YEAR_WARNING, year)


@cache
def china() -> WorkdayCalendar:
    """The process's calendar from the installed package, built once (its tables are constants)."""
    return WorkdayCalendar.from_package()


def is_working_day(day: dt.date) -> bool:
    return china().is_working_day(day)


def add_working_days(day: dt.date, n: int) -> dt.date:
    return china().add_working_days(day, n)


def known_years() -> frozenset[int]:
    return china().known_years()
