"""Which windows a year's progress shows, and how states group into them (the fictional plan)."""
from __future__ import annotations

import datetime as dt

from services.indicators.domain.windows import windows_of_year, year_window_keys
from services.indicators.models import WindowState
from services.indicators.schemas import YearProgress
from tests.unit.indicators.fictional import PLAN, REGION

PERIOD = PLAN.meta.period


def test_a_year_shows_its_own_window_its_quarters_or_the_period():
    assert windows_of_year(PLAN.indicator("star-night-booths"), PERIOD, 2025) == ["2025"]
    assert windows_of_year(PLAN.indicator("steering-meetings"), PERIOD, 2025) == [f"2025Q{q}" for q in range(1, 5)]
    assert windows_of_year(PLAN.indicator("star-night-visitors"), PERIOD, 2025) == ["2024-2026"]
    assert windows_of_year(PLAN.indicator("steering-meetings"), PERIOD, 2024) == []  # its first year is 2025
    assert year_window_keys(PLAN, 2025) == {"2025", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2024-2026"}
    assert windows_of_year(PLAN.indicator("star-night-booths"), PERIOD, 2030) == []


def test_states_group_into_total_and_breakdowns():
    def state(scope: str, actual: float) -> WindowState:
        return WindowState(indicator="star-night-booths", window="2024", scope=scope, actual=actual, expected=5.0,
                           status="tracking", as_of=dt.date(2024, 6, 30))

    found = YearProgress.of(PLAN, [state(REGION, 4), state("org:qinglan-library", 3), state("town:t1", 1)],
                            2024, targets_only=True).indicators
    booths = next(p for p in found if p.indicator == "star-night-booths")
    assert booths.total.actual == 4 and [r.scope for r in booths.by_org] == ["org:qinglan-library"]
    assert [r.scope for r in booths.by_town] == ["town:t1"] and booths.target == 6
    assert not any(p.indicator.startswith("track.") for p in found)
