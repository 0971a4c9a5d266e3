"""Working hours in the county's time zone: when digests may go out (no bus, no database).

Parsed from settings once (``09:00-18:00``, ``china`` or ``1-5``), so a typo stops the service at
start-up with the setting's name instead of silencing alerts. ``china`` (the default) means China's
working days: no digest on a National Day or Spring Festival holiday, and one on a 调休 Saturday
that is worked (``libs.common.workdays``, the calendar reporting deadlines count in).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from libs.common.workdays import WorkdayCalendar, china

_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
CHINA = "china"  # the working days of China's calendar, holidays and make-up days included
LONGEST_CLOSURE = 40  # days: the longest run of days off (Spring Festival) is far shorter


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (e.g. Asia/Shanghai)") from None


def parse_hours(text: str) -> tuple[dt.time, dt.time] | None:
    """``"09:00-18:00"`` → (09:00, 18:00); ``"always"`` → None (any time)."""
    if text.strip().lower() in ("always", "", "0:00-24:00"):
        return None
    m = _HOURS.match(text.strip())
    if not m:
        raise ValueError(f"working hours {text!r}: write HH:MM-HH:MM, e.g. 09:00-18:00, or 'always'")
    h1, m1, h2, m2 = map(int, m.groups())
    try:
        start, end = dt.time(h1, m1), dt.time(h2, m2)
    except ValueError:
        raise ValueError(f"working hours {text!r}: not a time of day") from None
    if start >= end:
        raise ValueError(f"working hours {text!r}: the start must come before the end")
    return start, end


def parse_days(text: str) -> frozenset[int] | None:
    """``"1-5"`` or ``"1,2,3,4,5,6"`` → ISO weekdays (Monday = 1); ``"china"`` → None (China's
    working days, from the calendar)."""
    if text.strip().lower() == CHINA:
        return None
    days: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if m := re.match(r"^([1-7])-([1-7])$", part):
            days |= set(range(int(m[1]), int(m[2]) + 1))
        elif re.match(r"^[1-7]$", part):
            days.add(int(part))
        else:
            raise ValueError(f"working days {text!r}: 'china' (China's working days, holidays and 调休 "
                             "included), or ISO weekdays 1 (Monday) to 7, e.g. 1-5 or 1,3,5")
    if not days:
        raise ValueError(f"working days {text!r}: name at least one day")
    return frozenset(days)


@dataclass(frozen=True)
class WorkingHours:
    """When people may be messaged. ``hours`` None: any time of the working days; ``days`` None:
    the working days of ``calendar`` (China's)."""

    tz: ZoneInfo
    hours: tuple[dt.time, dt.time] | None
    days: frozenset[int] | None
    calendar: WorkdayCalendar | None = None

    @classmethod
    def from_settings(cls, timezone: str, hours: str, days: str) -> "WorkingHours":
        weekdays = parse_days(days)
        return cls(zone(timezone), parse_hours(hours), weekdays, china() if weekdays is None else None)

    def is_working_day(self, day: dt.date) -> bool:
        if self.days is None:
            return (self.calendar or china()).is_working_day(day)
        return day.isoweekday() in self.days

    def is_open(self, now: dt.datetime) -> bool:
        local = now.astimezone(self.tz)
        if not self.is_working_day(local.date()):
            return False
        return self.hours is None or self.hours[0] <= local.time() < self.hours[1]

    def next_open(self, now: dt.datetime) -> dt.datetime:
        """``now`` if open, else the next moment the working hours begin (UTC)."""
        if self.is_open(now):
            return now
        local = now.astimezone(self.tz)
        start = self.hours[0] if self.hours else dt.time(0, 0)
        for days_ahead in range(0, LONGEST_CLOSURE):
            day = local.date() + dt.timedelta(days=days_ahead)
            candidate = dt.datetime.combine(day, start, self.tz)
            if candidate > local and self.is_working_day(day):
                return candidate.astimezone(dt.timezone.utc)
        raise AssertionError("no working day within 40 days")  # parse_days and the calendar guarantee one
