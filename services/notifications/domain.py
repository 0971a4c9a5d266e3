"""Alert rules (no bus, no database): when a status change opens, updates or resolves an alert."""
from __future__ import annotations

from typing import Literal

from libs.common.events import IndicatorStatusChanged

FIRING_STATUSES = frozenset({"lagging", "missed"})

Action = Literal["open", "update", "resolve", "ignore"]


def decide(current_state: str | None, change: IndicatorStatusChanged) -> Action:
    """``current_state`` is the alert's state for this key (None if there is none yet)."""
    firing = change.status in FIRING_STATUSES
    if firing:
        return "update" if current_state == "firing" else "open"
    if current_state == "firing":
        return "resolve"
    return "ignore"


def recipients(change: IndicatorStatusChanged, office: str | None) -> list[str]:
    """The responsible units, plus the leading group office that oversees the plan."""
    out = list(dict.fromkeys(change.responsible))
    if office and office not in out:
        out.append(office)
    return out
