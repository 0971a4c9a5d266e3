"""How activities count towards indicators: which indicator, window and scope, how much, and
which revision of an activity counts.

Every activity counts in the region's scope, and also in its reporting organisation's and
its town's, so operators can break progress down by department and town.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from libs.common.events import ActivityRecorded
from libs.common.plan.schema import EVENTS, Plan
from services.indicators.domain.windows import window_for

WindowKey = tuple[str, str, str]  # indicator, window, scope
EventActivities = tuple[str, Sequence[ActivityRecorded]]  # an event's id with the activities it carries


@dataclass(frozen=True)
class Contribution:
    indicator: str
    window: str
    scope: str
    value: float

    @property
    def key(self) -> WindowKey:
        return self.indicator, self.window, self.scope


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


def refusal(plan: Plan, events: Sequence[EventActivities]) -> str | None:
    """Why an event may not be counted (an amount the plan's bounds refuse), or None. The
    activities service refuses such reports; this catches an event forged or sent before the bounds."""
    for event_id, activities in events:
        for a in activities:
            if problems := plan.quantity_problems(a.quantities):
                return (f"event {event_id}: activity {a.activity_id} of {a.org} ({a.activity_type}): "
                        + "; ".join(f"{field}: {message}" for field, message in problems))
    return None


def latest_revisions(activities: Iterable[ActivityRecorded]) -> list[ActivityRecorded]:
    """Of several revisions of one activity, the highest (one per activity, in first-seen order)."""
    latest: dict[str, ActivityRecorded] = {}
    for activity in activities:
        held = latest.get(activity.activity_id)
        if held is None or activity.revision > held.revision:
            latest[activity.activity_id] = activity
    return list(latest.values())


def fresh_latest(events: Sequence[EventActivities], new: Collection[str]) -> list[ActivityRecorded]:
    """Of the events ``new`` names (not processed before), each counted once even when it comes
    twice in a batch: the highest revision of each activity they carry."""
    unseen, fresh = set(new), []
    for event_id, activities in events:
        if event_id in unseen:
            unseen.discard(event_id)
            fresh += activities
    return latest_revisions(fresh)


def newer_than_applied(activities: Sequence[ActivityRecorded], applied: Mapping[str, int]) -> list[ActivityRecorded]:
    """The activities whose revision is newer than the one applied before (an older or equal
    revision arriving late changes nothing)."""
    return [a for a in activities if applied.get(a.activity_id, 0) < a.revision]


def moved_sums(removed: Iterable[tuple[WindowKey, float]], added: Iterable[Contribution]) -> dict[WindowKey, float]:
    """By how much the sum of each touched window moved, when ``removed`` made way for ``added``."""
    deltas: dict[WindowKey, float] = defaultdict(float)
    for key, value in removed:
        deltas[key] -= value
    for c in added:
        deltas[c.key] += c.value
    return dict(deltas)
