"""ListProgress with reporting as a duty: each responsible organisation's share of an indicator
window is its figure, a true 0, or no value at all.

The indicators service counts what was reported; only the activities service knows who owed a
report and did not send it. A share with activities keeps its figure (and names the periods still
missing, so a reader knows it may be short). A responsible organisation with nothing reported gets
a share of 0 when it owes no period of the window (本期无活动 submitted, or no deadline passed), and
a share with no value (``actual`` unset) when it has a missing period: silence is not zero.
"""
from __future__ import annotations

import datetime as dt

from libs.common.wording import window_end, window_start

Gaps = dict[str, list]  # organisation -> [[period key, first day, last day], ...] missing (activities)


def missing_in(window: str, owed: list) -> list[str]:
    """The missing periods of one organisation that overlap ``window``."""
    start, end = window_start(window), window_end(window)
    if start is None or end is None:
        return []
    return [key for key, first, last in owed
            if dt.date.fromisoformat(first) <= end and dt.date.fromisoformat(last) >= start]


def with_shares(item: dict, gaps: Gaps) -> dict:
    """``item`` (an indicator window of ``list_progress``) with a share for each responsible
    organisation that reports; a share already counted keeps its figure."""
    by_org = {row["scope"]: dict(row) for row in item["by_org"]}
    as_of = (item["total"] or {}).get("as_of")
    for org in item["responsible"]:
        if org not in gaps:  # reports to nobody (exempt, the region): no duty, no share to judge
            continue
        scope, missing = f"org:{org}", missing_in(item["window"], gaps[org])
        row = by_org.get(scope)
        if row is None:
            row = {**{key: item[key] for key in ("indicator", "name", "kind", "window", "unit")}, "scope": scope,
                   "actual": None if missing else 0.0, "as_of": as_of}
            by_org[scope] = row
        row["missing_periods"] = missing
    return {**item, "by_org": sorted(by_org.values(), key=_share_order)}


def _share_order(row: dict) -> tuple:
    """Counted shares first, largest first; then the true zeros; then those with no value."""
    actual = row.get("actual")
    return (actual is None, -(actual or 0.0), row["scope"])
