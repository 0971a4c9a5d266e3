"""The office overview of a city: each target of the city beside its counties' parts (下级地区对比),
from a ListProgress answer as the gateway gives it (``by_region``)."""
from __future__ import annotations

import datetime as dt

from libs.common.api.kepu.v1 import indicator_service_pb2 as ind
from libs.common.api.kepu.v1 import resources_pb2 as res
from services.portal.pages.office import side_by_side

TODAY = dt.date(2026, 10, 15)


def window(scope: str, actual: float, window_key: str = "2026") -> res.WindowProgress:
    return res.WindowProgress(indicator="city-caravan-sessions", name="全市科普大篷车巡展", kind="yearly",
                              window=window_key, scope=scope, actual=actual, target=50, unit="场次",
                              status="lagging", as_of=TODAY.isoformat())


def answer(*items: ind.IndicatorProgress) -> ind.ListProgressResponse:
    return ind.ListProgressResponse(year=2026, indicators=list(items), region="xiyun")


def test_each_child_has_its_column_and_a_child_with_nothing_counted_reads_a_dash_not_zero():
    item = ind.IndicatorProgress(indicator="city-caravan-sessions", name="全市科普大篷车巡展", kind="yearly",
                                 window="2026", unit="场次", target=50, total=window("xiyun", 24),
                                 by_region=[window("region:qinghe", 3), window("region:baisha", 12)])
    rows = side_by_side(answer(item), {"baisha": "白沙县", "qinghe": "清河县", "lanxi": "兰溪县"},
                        {"city-caravan-sessions"}, TODAY)
    assert [(r.name, r.window_label, r.unit, r.parts) for r in rows] == [
        ("全市科普大篷车巡展", "2026年", "场次", ["12", "3", "—"])]


def test_only_the_window_running_today_and_no_tracking_count_is_compared():
    ended = ind.IndicatorProgress(indicator="city-caravan-sessions", name="全市科普大篷车巡展", kind="yearly",
                                  window="2025", unit="场次", target=50, total=window("xiyun", 50, "2025"),
                                  by_region=[window("region:qinghe", 20, "2025")])
    running = ind.IndicatorProgress(indicator="city-caravan-sessions", name="全市科普大篷车巡展", kind="yearly",
                                    window="2026", unit="场次", target=50, total=window("xiyun", 4),
                                    by_region=[window("region:qinghe", 4)])
    tracked = ind.IndicatorProgress(indicator="track.caravan_tour.events", name="巡展（活动数）", kind="yearly",
                                    window="2026", unit="次", total=window("xiyun", 9))
    rows = side_by_side(answer(ended, running, tracked), {"qinghe": "清河县"}, {"city-caravan-sessions"}, TODAY)
    assert [(r.window_label, r.parts) for r in rows] == [("2026年", ["4"])]
