"""How activities count towards indicators: which indicator, window and scope, how much, and
which revision of an activity counts.

Every activity counts in its region's scope, and also in its reporting organisation's and its
town's, so operators can break progress down by department and town. It rolls up too: each
region above counts it in its own scope, toward those of its indicators the activity's type
feeds whose ``rollup`` is ``subtree`` (an ``own`` target counts the region's own units only),
and in the scope of its region directly below on the way (``region:CODE``: a city's counties
side by side, a province's cities). Each region counts by its plan of the activity's date:
plans succeed each other.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from libs.common.events import ActivityRecorded
from libs.common.plan.atlas import Atlas
from libs.common.plan.schema import EVENTS, Plan
from services.indicators.domain.windows import window_for

WindowKey = tuple[str, str, str]  # indicator, window, scope
SUBREGION = "region:"  # a region's part of its parent's figure: region:qinghe under xiyun
EventActivities = tuple[str, Sequence[ActivityRecorded]]  # an event's id with the activities it carries


@dataclass(frozen=True)
class Contribution:
    indicator: str
    window: str
    scope: str
    value: float
    region: str = ""  # the region whose indicator this is (the scope's region)

    @property
    def key(self) -> WindowKey:
        return self.indicator, self.window, self.scope


def region_of(atlas: Atlas, activity: ActivityRecorded) -> str:
    """The reporter's region: as the event says, else as the plans name the organisation, else the
    top region (an event from before regions: its system had only that one)."""
    if activity.region in atlas.regions:
        return activity.region
    return atlas.region_of(activity.org) or atlas.first_region


def scopes(region: str, activity: ActivityRecorded) -> list[str]:
    out = [region, f"org:{activity.org}"]
    if activity.town:
        out.append(f"town:{activity.town}")
    return out


def contributions(atlas: Atlas, activity: ActivityRecorded) -> list[Contribution]:
    """The contributions of an activity (none when retracted: its old ones are then removed): in
    its own region by every scope, and in each region above by that region's scope alone."""
    if activity.retracted:
        return []
    own = region_of(atlas, activity)
    path = [own, *atlas.ancestors(own)]
    out: list[Contribution] = []
    for step, region in enumerate(path):
        plan = atlas.plan_at(region, activity.start_date)
        if plan is None:
            continue
        for indicator in plan.fed_by(activity.activity_type):
            if region != own and indicator.rollup == "own":
                continue
            value = sum(
                1.0 if feed.quantity == EVENTS else activity.quantities.get(feed.quantity, 0.0)
                for feed in indicator.feeds if feed.activity_type == activity.activity_type
            )
            window = window_for(indicator, plan.meta.period, activity.start_date)
            if window is None:
                continue
            in_scopes = scopes(own, activity) if region == own else [region, f"{SUBREGION}{path[step - 1]}"]
            out += [Contribution(indicator.code, window.key, scope, value, region) for scope in in_scopes]
    return out


def refusal(atlas: Atlas, events: Sequence[EventActivities]) -> str | None:
    """Why an event may not be counted (an amount the plans' bounds refuse), or None. The
    activities service refuses such reports; this catches an event forged or sent before the bounds."""
    for event_id, activities in events:
        for a in activities:
            region = region_of(atlas, a)
            plan: Plan = atlas.plan_at(region, a.start_date) or atlas.current(region, a.start_date)
            if problems := plan.quantity_problems(a.quantities):
                return (f"event {event_id}: activity {a.activity_id} of {a.org} ({a.activity_type}): "
                        + "; ".join(f"{field}: {message}" for field, message in problems))
    return None


def county_refusal(atlas: Atlas, county: str, events: Sequence[EventActivities]) -> str | None:
    """Why events a county's link sent may not be counted, or None: each activity must name its
    region, one of the plans the city follows, at or below the county (a link speaks for its
    county alone, and an activity without its region would count in the city's own)."""
    if county not in atlas.regions:
        return (f"the link of county {county!r} sent activities, but no plan here is of region {county!r}: add the "
                "county's plan file to KEPU_PLAN_FILE (`kepu plan reload`), then replay the parked events")
    for event_id, activities in events:
        for a in activities:
            if a.region is None or a.region not in atlas.regions or not atlas.within(a.region, county):
                where = f"region {a.region!r}" if a.region else "no region"
                return (f"event {event_id}: activity {a.activity_id} of {a.org} names {where}, which is not county "
                        f"{county!r} nor below it: the link of {county!r} sends only its own region's activities")
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
