"""A year's progress as known at a past moment T: what ``list_progress`` would have answered then
(issue 20: a past quarter's pack shows that quarter's figures, not today's).

Only what the system knew at T counts: a report recorded after T does not, even if dated before;
a correction after T leaves the figure at the revision known then; a retraction after T does not
remove it. The windows are judged as of T's date, as the clock's evaluation on that date did,
and every window says T's date as its ``as_of`` (in the live store a window only events move, a
breakdown or a tracking count, keeps the day it last moved; its figures are the same).

Why this design (the least new machinery): indicators keeps, per activity, only the
contributions of its latest revision, without when each was counted (``models.ContributionRow``;
a rebuild replays current revisions only), so its tables cannot say what they held at T.
Activities keeps every revision with the moment it was recorded (``activity_audit``: ``at`` and
``snapshot``). So activities answers which revisions were recorded by T
(``activities.revisions_as_of``), and here they are counted and judged by the live store's own
code (``app.replace_contributions``, ``app.judge_windows``, the repository's queries, the
domain's rules) on a throw-away store in memory (``repository.scratch_session``): no second copy
of the rules, no new table, no history to migrate or to rebuild. Services do not call each
other's RPC methods (``libs.common.bus.senders``), so the gateway asks activities first and hands
the revisions to ``indicators.progress_as_of``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from libs.common.events import ActivityRecorded
from libs.common.plan.atlas import Atlas, chosen_plan
from services.indicators import repository
from services.indicators.app import judge_windows, replace_contributions
from services.indicators.domain.counting import latest_revisions
from services.indicators.domain.status import held_on
from services.indicators.domain.windows import year_window_keys
from services.indicators.repository import LIVE_STORE
from services.indicators.schemas import YearProgress


def progress_as_of(atlas: Atlas, revisions: Sequence[ActivityRecorded], day: dt.date, year: int | None = None,
                   indicator: str | None = None, targets_only: bool = False, region: str | None = None
                   ) -> YearProgress:
    """What ``app.year_progress`` answered on ``day`` when the system held ``revisions`` (every
    revision of every activity recorded by then, in any order): each activity counted at its
    latest revision, every window the live store then held judged as of ``day``."""
    plan = chosen_plan(atlas, day, region, year)
    region = plan.meta.region.code
    year = year or atlas.year_in_plan(region, day)
    in_year = year_window_keys(plan, year)
    keys = {key for key in held_on(atlas, revisions, day) if key[1] in in_year}
    with repository.scratch_session() as session:
        replace_contributions(session, LIVE_STORE, atlas, latest_revisions(revisions))
        judge_windows(session, atlas, keys, day)
        states = repository.states(session, indicator, window_keys=in_year, region=region)
        return YearProgress.of(plan, states, year, targets_only, indicator)
