"""Whose activities a caller may read, report and change: the object-level checks only the
activities service can make, since only it knows an activity's reporting unit and town.

A town's token covers the town: it reads the activities reported by the town and those held in
it, and reports only activities held in the town.
"""
from __future__ import annotations

from libs.common.access import Caller
from libs.common.errors import clip


def may_change_activity(caller: Caller, activity_org: str) -> bool:
    """Corrections and retractions: the reporting unit itself, or an admin."""
    return caller.may_write and (caller.is_admin or activity_org == caller.org)


def may_read_activity(caller: Caller, activity_org: str, activity_town: str | None) -> bool:
    return caller.is_admin or activity_org == caller.org or (caller.is_town and activity_town == caller.org)


def town_problem(caller: Caller, town: str | None) -> str | None:
    """A town's token reports only what happened in the town (an empty town means the town itself)."""
    if caller.is_town and town and town != caller.org:
        return (f"镇（园区）「{caller.org}」的令牌只能上报本镇（园区）举办的活动，不能上报「{clip(town)}」的；"
                "镇（园区）可不填，即为本镇（园区）")
    return None
