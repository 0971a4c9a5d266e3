"""How messages for people write numbers, days and lists, defined once (refusals of a report, a
spreadsheet's problems, a department's alerts): numbers without ".0", days as YYYY-MM-DD (the
form people type them in), lists joined with 、 and cut to fit a message."""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

DAY_HINT = "日期格式应为 YYYY-MM-DD，例如 2025-03-18"


def number(value: float, places: int = 1) -> str:
    """4.0 → "4", 7.5 → "7.5", 1398.6857 → "1398.7": at most ``places`` decimals, none when whole.
    Absurd amounts (beyond 10^15, infinite, NaN) keep their short form (1.79e+308, inf)."""
    if not math.isfinite(value) or abs(value) >= 1e15:
        return f"{value:.6g}"
    rounded = round(value, places)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.{places}f}".rstrip("0")


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
