"""The fictional county plan and activity events on it, for the indicators' unit tests.

青岚县 (``tests/plans/fictional-county.yaml``): a yearly target of 6 star-night booths, more than
3,000 visitors over 2024–2026, a steering meeting each quarter from 2025, and tracking counts of
star nights and their visitors. ``STOCK_PLAN`` adds a stock indicator, which the file has none of.
"""
from __future__ import annotations

import datetime as dt

from libs.common.events import ActivitiesRecorded, ActivityRecorded, make_envelope
from libs.common.plan.atlas import Atlas, atlas_of
from libs.common.plan.loader import load_plan, parse_plan
from libs.common.settings import REPO_ROOT

PLAN_FILE = REPO_ROOT / "tests" / "plans" / "fictional-county.yaml"
PLAN = load_plan(PLAN_FILE)
ATLAS = atlas_of([PLAN])  # the deployment of one county with this one plan
REGION = "qinglan"
AS_OF = dt.date(2024, 6, 30)  # booths 2024: 2.98 of 6 expected by now; visitors: 498 of 3000
ORG = "qinglan-library"

STOCK = """
  - code: stargazers-registered
    name: 注册观星志愿者
    kind: stock
    target: 50
    unit: 人次
    stock_aggregation: {aggregation}
    feeds: [{{activity_type: star_night, quantity: visitors}}]
    responsible: [qinglan-science-association]
    section: night-sky
    measure: night-sky-1
"""


def stock_plan(aggregation: str = "sum_per_reporter") -> Atlas:
    """The fictional county with a stock indicator fed by the star nights' visitors in its plan."""
    return atlas_of([parse_plan(PLAN_FILE.read_text(encoding="utf-8") + STOCK.format(aggregation=aggregation))])


def edited_plan(old: str, new: str) -> Atlas:
    """The fictional county with one passage of its plan file replaced (it must occur once)."""
    text = PLAN_FILE.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not one passage of the fictional plan"
    return atlas_of([parse_plan(text.replace(old, new))])


def star_night(activity_id: str, booths: float = 1, visitors: float = 0, revision: int = 1,
               retracted: bool = False, org: str = ORG, town: str | None = None,
               day: dt.date = dt.date(2024, 5, 1)) -> ActivityRecorded:
    return ActivityRecorded(activity_id=activity_id, revision=revision, retracted=retracted, org=org, town=town,
                            activity_type="star_night", start_date=day, end_date=day,
                            quantities={"booths": booths, "visitors": visitors})


def event(event_id: str, *activities: ActivityRecorded) -> dict:
    """The body of an event carrying these activities: one activity's event, or a batch report's."""
    payload = activities[0] if len(activities) == 1 else ActivitiesRecorded(activities=list(activities))
    return make_envelope("activities", payload, event_id=event_id).model_dump(mode="json")
