"""How figures, periods, days and lists are written for people, in Chinese: one definition for
the alert digests, the refusals of a report, a spreadsheet's problems, the web portal and the
documents.

Numbers as people write them (no ".0"), figures as people say them (a count whole, a percentage
to one decimal: ``amount``), windows as people say them (2025年, 2025年第二季度,
2021—2025年), statuses in the words the alerts use, days in a form as YYYY-MM-DD (the form
people type them in) and in prose as 2025年3月18日, lists joined with 、 and cut to fit a message.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

DAY_HINT = "日期格式应为 YYYY-MM-DD，例如 2025-03-18"

STATUS_WORDS = {
    "lagging": "滞后", "missed": "未完成", "at_risk": "进度偏慢", "on_track": "进度正常", "achieved": "已完成目标",
    "not_started": "未开始", "no_data": "暂无数据", "tracking": "仅统计",
}
RECOVERED = "已恢复"
# how people name a region by its level: 县科协, 全市总览; a county's when unknown (towns are in counties)
REGION_WORDS = {"county": "县", "city": "市", "province": "省", "national": "全国"}


def region_word(level: str | None) -> str:
    return REGION_WORDS.get(level or "county", "县")

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_PERIOD = re.compile(r"^(\d{4})-(\d{4})$")


def number(value: float, places: int = 1) -> str:
    """4.0 → "4", 7.5 → "7.5", 1398.6857 → "1398.7": at most ``places`` decimals, none when whole.
    Absurd amounts (beyond 10^15, infinite, NaN) keep their short form (1.79e+308, inf)."""
    if not math.isfinite(value) or abs(value) >= 1e15:
        return f"{value:.6g}"
    rounded = round(value, places)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.{places}f}".rstrip("0")


# Units that measure rather than count. A plan's figures in any other unit (人, 人次, 场次, 次, 个, 家,
# 所, 项 …: the units a plan invents are open-ended) count things, so a list of what counts could never
# be complete; what measures is short. A plan says otherwise per quantity (``whole: false``).
MEASURE_UNITS = frozenset({"%"})


def counts(unit: str) -> bool:
    """Whether figures in ``unit`` count things (and so are whole) when the plan does not say: the
    default of a quantity's ``whole`` and of the figures people read (``amount``)."""
    return unit not in MEASURE_UNITS


def figure(value: float, unit: str, need: bool = False, whole: bool | None = None) -> str:
    """``value`` in ``unit`` as people say it (without the unit); ``whole`` as the plan says (see
    ``plan.schema.whole_figures``), else as ``counts(unit)``.

    A count is whole: a figure to the nearest, half up (17984.7人 → 17985), a ``need`` (what it
    takes per month, what is missing) rounded up (55.2个 → 56, 0.3场次 → 1): a county cannot hold
    0.3 of a lecture, and rounding down would fall short. Anything else keeps one decimal
    (12.34% → 12.3), a need rounded up at that decimal."""
    if not math.isfinite(value) or abs(value) >= 1e15:
        return number(value)
    if whole is None:
        whole = counts(unit)
    if not whole:
        return number(_up(value, 1) if need else value)
    return str(int(_up(value, 0) if need else Decimal(repr(value)).quantize(Decimal(1), ROUND_HALF_UP)))


def amount(value: float, unit: str, need: bool = False, whole: bool | None = None) -> str:
    """``figure`` with its unit: "17985人", "需每月完成" + "56个", "12.3%"."""
    return f"{figure(value, unit, need, whole)}{unit}"


def _up(value: float, places: int) -> float:
    """``value`` rounded up at ``places`` decimals, float noise aside (0.3 stays 0.3, not 0.4)."""
    scale = 10 ** places
    return math.ceil(round(value * scale, 9)) / scale


QUARTER_WORDS = ("第一季度", "第二季度", "第三季度", "第四季度")


def window_label(window: str) -> str:
    if m := _YEAR.match(window):
        return f"{m[1]}年"
    if m := _QUARTER.match(window):
        return f"{m[1]}年{QUARTER_WORDS[int(m[2]) - 1]}"
    if m := _PERIOD.match(window):
        return f"{m[1]}—{m[2]}年"
    return window


def window_end(window: str) -> dt.date | None:
    """The last day of a window named by its key."""
    if m := _YEAR.match(window):
        return dt.date(int(m[1]), 12, 31)
    if m := _QUARTER.match(window):
        year, quarter = int(m[1]), int(m[2])
        first_of_next = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
        return first_of_next - dt.timedelta(days=1)
    if m := _PERIOD.match(window):
        return dt.date(int(m[2]), 12, 31)
    return None


def window_start(window: str) -> dt.date | None:
    """The first day of a window named by its key."""
    if m := _YEAR.match(window):
        return dt.date(int(m[1]), 1, 1)
    if m := _QUARTER.match(window):
        return dt.date(int(m[1]), 3 * int(m[2]) - 2, 1)
    if m := _PERIOD.match(window):
        return dt.date(int(m[1]), 1, 1)
    return None


def window_holds(window: str, day: dt.date) -> bool:
    start, end = window_start(window), window_end(window)
    return start is not None and end is not None and start <= day <= end


def target_word(window: str) -> str:
    if _QUARTER.match(window):
        return "本季度目标"
    if _PERIOD.match(window):
        return "规划期目标"
    return "全年目标"


def months_left(as_of: dt.date, end: dt.date) -> int:
    """Months from ``as_of`` to the window's end, a started month counting whole (0 once it ended)."""
    if as_of > end:
        return 0
    return (end.year - as_of.year) * 12 + end.month - as_of.month + 1


def date_label(day: dt.date | str | None) -> str:
    """2025-03-18 → 2025年3月18日."""
    if not day:
        return ""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    return f"{day.year}年{day.month}月{day.day}日"


def day(value: dt.date) -> str:
    """A day as people write it in a form: 2025-03-18."""
    return value.isoformat()


def listing(items: Sequence[str], limit: int = 160, more: str = "") -> str:
    """``items`` joined with 、, as many as fit in ``limit`` characters; when some were left out,
    how many there are in all ("…等共29种") and ``more`` (where to find the rest)."""
    total = len(items)
    shown: list[str] = []
    for item in items:
        if shown and len("、".join([*shown, item])) > limit:
            break
        shown.append(item)
    text = "、".join(shown)
    return text if len(shown) == total else f"{text}等共{total}种{more}"
