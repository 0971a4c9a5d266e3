"""The gauges dashboards read: projection, status colour, elapsed share and days left."""
from __future__ import annotations

import datetime as dt

from prometheus_client import REGISTRY

from services.indicators.domain.windows import Window
from services.indicators.metrics import projected, publish_state
from services.indicators.models import WindowState
from tests.unit.indicators.test_progress import ind

YEAR_2024 = Window("2024", dt.date(2024, 1, 1), dt.date(2025, 1, 1))


def sample(name: str, **labels) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_a_sum_is_projected_at_its_rate_so_far_and_a_stock_stays_at_its_level():
    assert projected(ind("yearly"), 4, 0.5) == 8
    assert projected(ind("yearly"), 4, 0.0) == 0
    assert projected(ind("stock", target=13), 10.2, 0.5) == 10.2
    assert projected(ind("yearly"), 9, 1.0) == 9


def test_a_region_window_exports_figures_colour_and_time_left():
    indicator = ind("yearly").model_copy(update={"code": "gauge-test"})
    state = WindowState(indicator="gauge-test", window="2024", scope="qinglan", actual=3, expected=5,
                        status="lagging", as_of=dt.date(2024, 6, 30))
    publish_state("qinglan", state, indicator, YEAR_2024, dt.date(2024, 6, 30))
    labels = {"region": "qinglan", "indicator": "gauge-test", "window": "2024"}
    assert sample("kepu_indicator_status_code", **labels, scope="qinglan") == 4
    assert sample("kepu_indicator_status", **labels, scope="qinglan", status="lagging") == 1
    assert sample("kepu_indicator_target", **labels) == 10
    assert 0.49 < sample("kepu_indicator_elapsed_ratio", **labels) < 0.51
    assert sample("kepu_indicator_days_left", **labels) == 184  # July 1 to December 31
    assert 5.9 < sample("kepu_indicator_projected", **labels, scope="qinglan") < 6.1


def test_a_breakdown_is_counted_not_judged():
    indicator = ind("yearly").model_copy(update={"code": "gauge-town"})
    state = WindowState(indicator="gauge-town", window="2024", scope="town-a", actual=2, expected=0,
                        status="tracking", as_of=dt.date(2024, 6, 30))
    publish_state("qinglan", state, indicator, YEAR_2024, dt.date(2024, 6, 30))
    assert sample("kepu_indicator_actual", region="qinglan", indicator="gauge-town", window="2024", scope="town-a") == 2
    assert sample("kepu_indicator_status_code", region="qinglan", indicator="gauge-town", window="2024",
                  scope="town-a") is None
