"""How one activity counts towards indicators: which indicator, window and scope, how much.

Every activity counts in the region's scope, and also in its reporting organisation's and
its town's, so operators can break progress down by department and town.
"""
from __future__ import annotations

from dataclasses import dataclass

from libs.common.events import ActivityRecorded
from libs.common.plan.schema import EVENTS, Plan
from services.indicators.windows import window_for


@dataclass(frozen=True)
class Contribution:
    indicator: str
    window: str
    scope: str
    value: float


def scopes(plan: Plan, activity: ActivityRecorded) -> list[str]:
    out = [plan.meta.region.code, f"org:{activity.org}"]
    if activity.town:
        out.append(f"town:{activity.town}")
    return out


def contributions(plan: Plan, activity: ActivityRecorded) -> list[Contribution]:
    """The contributions of an activity (none when retracted: its old ones are then removed)."""
    if activity.retracted:
        return []
    out: list[Contribution] = []
    for indicator in plan.fed_by(activity.activity_type):
        value = sum(
            1.0 if feed.quantity == EVENTS else activity.quantities.get(feed.quantity, 0.0)
            for feed in indicator.feeds if feed.activity_type == activity.activity_type
        )
        window = window_for(indicator, plan.meta.period, activity.start_date)
        if window is None:
            continue
        out += [Contribution(indicator.code, window.key, scope, value) for scope in scopes(plan, activity)]
    return out
