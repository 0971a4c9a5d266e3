"""ListProgress's shares (services/gateway/shares.py): a responsible organisation's share is its
figure, a true 0 when it owes nothing, or no value when a period of the window is missing."""
from __future__ import annotations

from services.gateway.shares import missing_in, with_shares

TOTAL = {"indicator": "outreach", "name": "科普惠民乡村行", "kind": "yearly", "window": "2024", "scope": "county",
         "actual": 3.0, "expected": 5.0, "target": 10.0, "unit": "场次", "status": "lagging", "as_of": "2024-06-30"}
Q1 = ["2024Q1", "2024-01-01", "2024-03-31"]


def item(*by_org: dict, responsible=("agri", "edu", "cast", "county-gov"), window: str = "2024") -> dict:
    return {"indicator": "outreach", "name": "科普惠民乡村行", "kind": "yearly", "unit": "场次", "window": window,
            "target": 10.0, "responsible": list(responsible),
            "total": {**TOTAL, "window": window}, "by_org": list(by_org), "by_town": []}


def test_silence_has_no_value_a_nil_report_is_zero_and_a_figure_stays_a_figure():
    counted = {**TOTAL, "scope": "org:cast", "actual": 3.0, "expected": None, "status": ""}
    gaps = {"agri": [Q1], "edu": [], "cast": [Q1]}  # county-gov reports to nobody: not in the gaps
    shares = {row["scope"]: row for row in with_shares(item(counted), gaps)["by_org"]}
    assert set(shares) == {"org:agri", "org:edu", "org:cast"}
    assert shares["org:agri"]["actual"] is None and shares["org:agri"]["missing_periods"] == ["2024Q1"]
    assert shares["org:edu"]["actual"] == 0.0 and shares["org:edu"]["missing_periods"] == []
    assert (shares["org:edu"]["name"], shares["org:edu"]["unit"], shares["org:edu"]["as_of"]) == (
        "科普惠民乡村行", "场次", "2024-06-30")
    assert shares["org:cast"]["actual"] == 3.0 and shares["org:cast"]["missing_periods"] == ["2024Q1"]
    order = [row["scope"] for row in with_shares(item(counted), gaps)["by_org"]]
    assert order == ["org:cast", "org:edu", "org:agri"]  # figures, then zeros, then no value


def test_only_periods_overlapping_the_window_count():
    assert missing_in("2024Q2", [Q1]) == [] and missing_in("2021-2025", [Q1]) == ["2024Q1"]
