"""What the reporting and towns gauges read (issue 19): where every organisation's periods of the
current year stand, the activities each submitted period holds, when each organisation's last
activity came in, and each town's activities by year. Read-only, for the metrics refresh;
``metrics.publish_reporting`` and ``metrics.publish_town_totals`` set the gauges. Every figure
names its organisation's region (``Context.region``), so a dashboard shows one region's.

A period not submitted has no activity figure (``None``), never a 0: the national 科普统计
forms write "-" for no value, and a nil report (本期无活动) is the only way to a true 0.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from libs.common.workdays import WorkdayCalendar
from services.activities import periods, repository
from services.activities.models import Activity

if TYPE_CHECKING:
    from services.activities.app import Context

SUBMITTED = frozenset({"on_time", "late"})


@dataclass(frozen=True)
class PeriodFigure:
    """One organisation's period: its state, and its activities if (and only if) it was submitted."""

    org: str
    region: str  # the organisation's
    every: str  # month, quarter, half_year, year
    period: str  # "2024Q3"
    state: str  # open, due, on_time, late, missing
    activities: int | None  # None: not submitted (no value, not 0)

    @property
    def submitted(self) -> bool:
        return self.state in SUBMITTED

    @property
    def expected(self) -> bool:
        """Counted among the expected periods: its deadline passed, or its report came in early."""
        return self.submitted or self.state == "missing"


@dataclass(frozen=True)
class ReportingFigures:
    periods: list[PeriodFigure]
    last_recorded: dict[str, tuple[str, dt.datetime]]  # org → (its region, when its latest activity was stored)


@dataclass(frozen=True)
class TownFigure:
    """A town's activities (retractions excluded) and their 人次 in one start year."""

    town: str
    region: str  # the town's
    year: int
    activities: int
    participants: float


def last_recorded(session: Session) -> dict[str, dt.datetime]:
    """org → the moment its latest activity was stored (what "no reports for N days" reads)."""
    return dict(session.execute(select(Activity.org, func.max(Activity.created_at)).group_by(Activity.org)).all())


def towns(ctx: Context) -> list[TownFigure]:
    """Every town's activities by start year, with the town's region."""
    totals = list(repository.town_totals(ctx.session))
    regions = ctx.regions_of(sorted({town for town, *_ in totals}))
    return [TownFigure(town, regions[town], int(year), count, float(participants or 0))  # EXTRACT: a numeric
            for town, year, count, participants in totals]


def read(ctx: Context, calendar: WorkdayCalendar) -> ReportingFigures:
    """The current year's periods (those started by ``ctx.today``) of every organisation that reports."""
    status = [s for s in periods.every_status(ctx, ctx.today.year, calendar)
              if dt.date.fromisoformat(s["start"]) <= ctx.today]
    figures = [PeriodFigure(org=s["org"], region=ctx.region(s["org"]), every=s["every"], period=s["period"],
                            state=s["state"], activities=s["activities"] if s["state"] in SUBMITTED else None)
               for s in status]
    return ReportingFigures(figures, {org: (ctx.region(org), at) for org, at in last_recorded(ctx.session).items()})
