"""Which windows a year's progress shows, and how states group into them."""
from __future__ import annotations

import datetime as dt

from libs.common.plan import load_plan
from libs.common.settings import REPO_ROOT
from services.indicators.models import WindowState
from services.indicators.views import windows_of_year, year_progress, year_window_keys

PLAN = load_plan(REPO_ROOT / "plans" / "dangshan-2021-2025.yaml")


def test_a_year_shows_its_own_window_its_quarters_or_the_period():
    assert windows_of_year(PLAN.indicator("caravan-tours"), PLAN, 2024) == ["2024"]
    assert windows_of_year(PLAN.indicator("leadership-meetings"), PLAN, 2024) == [f"2024Q{q}" for q in range(1, 5)]
    assert windows_of_year(PLAN.indicator("high-quality-farmers"), PLAN, 2024) == ["2021-2025"]
    assert year_window_keys(PLAN, 2024) == {"2024", "2024Q1", "2024Q2", "2024Q3", "2024Q4", "2021-2025"}
    assert windows_of_year(PLAN.indicator("caravan-tours"), PLAN, 2030) == []


def test_states_group_into_total_and_breakdowns():
    def state(scope: str, actual: float) -> WindowState:
        return WindowState(indicator="caravan-tours", window="2024", scope=scope, actual=actual, expected=5.0,
                           status="tracking", as_of=dt.date(2024, 6, 30))

    found = year_progress(PLAN, [state("dangshan", 4), state("org:cast", 3), state("town:t1", 1)], 2024, True)
    caravan = next(p for p in found if p["indicator"] == "caravan-tours")
    assert caravan["total"]["actual"] == 4 and [r["scope"] for r in caravan["by_org"]] == ["org:cast"]
    assert [r["scope"] for r in caravan["by_town"]] == ["town:t1"] and caravan["target"] == 10
    assert not any(p["indicator"].startswith("track.") for p in found)
