"""Alert rules (no bus, no database): when a status change opens, updates or resolves an alert."""
from __future__ import annotations

from typing import Literal

from libs.common.events import FIRING_STATUSES, IndicatorStatusChanged

# An alert resolves only when the window is back on pace: at_risk (behind, within the slack)
# keeps it firing, or an alert would flap as the lag crosses the slack day by day.
RECOVERED_STATUSES = frozenset({"on_track", "achieved", "not_started"})

Action = Literal["open", "update", "resolve", "ignore"]


def decide(current_state: str | None, change: IndicatorStatusChanged) -> Action:
    """``current_state`` is the alert's state for this key (None if there is none yet)."""
    if change.status in FIRING_STATUSES:
        return "update" if current_state == "firing" else "open"
    if current_state == "firing":
        return "resolve" if change.status in RECOVERED_STATUSES else "update"
    return "ignore"


def recipients(change: IndicatorStatusChanged, office: str | None) -> list[str]:
    """The responsible units, plus the leading group office that oversees the plan."""
    out = list(dict.fromkeys(change.responsible))
    if office and office not in out:
        out.append(office)
    return out
