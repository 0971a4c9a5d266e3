"""Alert rules (no bus, no database): when a status change opens, updates or resolves an alert,
who hears of it, how loud, and which windows are history."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal, Protocol

from libs.common.events import FIRING_STATUSES, IndicatorStatusChanged
from libs.common.wording import window_end
from services.notifications.settings import AlertRoute

# An alert resolves only when the window is back on pace: at_risk (behind, within the slack)
# keeps it firing, or an alert would flap as the lag crosses the slack day by day.
RECOVERED_STATUSES = frozenset({"on_track", "achieved", "not_started"})

Action = Literal["open", "update", "resolve", "ignore"]
SEVERITY = {"lagging": "warning", "missed": "critical"}


def decide(current_state: str | None, change: IndicatorStatusChanged) -> Action:
    """``current_state`` is the alert's state for this key (None if there is none yet)."""
    if change.status in FIRING_STATUSES:
        return "update" if current_state == "firing" else "open"
    if current_state == "firing":
        return "resolve" if change.status in RECOVERED_STATUSES else "update"
    return "ignore"


def severity(status: str, previous: str | None = None) -> str:
    """lagging is a warning, missed critical; a firing alert that went at_risk keeps its own."""
    return SEVERITY.get(status, SEVERITY.get(previous or "", "warning"))


def recipients(change: IndicatorStatusChanged, office: str | None, routes: list[AlertRoute] = (),
               level: str = "warning") -> list[str]:
    """The responsible units, the leading group office that oversees the plan, and whoever a
    configured route names for this indicator or severity."""
    out = list(dict.fromkeys(change.responsible))
    if office and office not in out:
        out.append(office)
    for route in routes:
        if route.indicator not in (None, change.indicator) or route.severity not in (None, level):
            continue
        out.extend(org for org in route.to if org not in out)
    return out


def is_history(window: str, as_of: dt.date, monitoring_since: dt.date, lookback_days: int,
               due: dt.date | None = None) -> bool:
    """A window that closed (a duty that fell ``due``) before monitoring began, or longer than the
    look-back before ``as_of``: nobody can still act on it, so it is summarised once, not sent."""
    end = due or window_end(window)
    if end is None:
        return False
    return end < monitoring_since or end < as_of - dt.timedelta(days=lookback_days)


class Window(Protocol):
    window: str
    state: str
    historical: bool
    as_of: dt.date | None
    due: dt.date | None


def past_look_back(alerts: Sequence[Window], lookback_days: int) -> list[Window]:
    """Firing windows that closed longer than the look-back ago (a ``missed`` one never recovers):
    they stop being reminded. "Today" is the latest date the indicators judged by (a frozen clock
    in demos), not the wall clock."""
    today = max((a.as_of for a in alerts if a.as_of), default=None)
    if today is None:
        return []
    return [a for a in alerts if a.state == "firing" and not a.historical
            and is_history(a.window, today, dt.date.min, lookback_days, a.due)]
