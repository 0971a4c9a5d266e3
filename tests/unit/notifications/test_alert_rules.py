"""When a status change opens, updates, resolves or ignores an alert."""
from __future__ import annotations

import datetime as dt

import pytest

from libs.common.events import IndicatorStatusChanged
from services.notifications.domain.alerts import decide, recipients
from services.notifications.settings import AlertRoute


def change(status: str, previous: str | None = None) -> IndicatorStatusChanged:
    return IndicatorStatusChanged(
        indicator="star-night-booths", indicator_name="观星展位", window="2024", scope="qinglan",
        previous=previous, status=status, actual=1, expected=5, target=10, unit="个",
        as_of=dt.date(2024, 6, 30), responsible=["qinglan-science-association"],
    )


@pytest.mark.parametrize(
    ("state", "status", "action"),
    [
        (None, "lagging", "open"), (None, "missed", "open"), ("resolved", "lagging", "open"),
        ("firing", "missed", "update"), ("firing", "lagging", "update"),
        ("firing", "on_track", "resolve"), ("firing", "achieved", "resolve"), ("firing", "not_started", "resolve"),
        ("firing", "at_risk", "update"), ("firing", "no_data", "update"),  # not back on pace: keeps firing
        (None, "on_track", "ignore"), (None, "at_risk", "ignore"), ("resolved", "achieved", "ignore"),
    ],
)
def test_decide(state, status, action):
    assert decide(state, change(status)) == action


def test_recipients_are_responsible_units_and_the_office_once():
    assert recipients(change("lagging"), "qinglan-gov") == ["qinglan-science-association", "qinglan-gov"]
    assert recipients(change("lagging"), "qinglan-science-association") == ["qinglan-science-association"]


def test_routes_add_recipients_of_an_indicator_or_a_severity_once():
    routes = [AlertRoute(indicator="star-night-booths", to=["qinglan-library"]),
              AlertRoute(severity="critical", to=["qinglan-library", "qinglan-townships"]),
              AlertRoute(indicator="other", to=["nobody"])]
    assert recipients(change("lagging"), None, routes, "warning") == ["qinglan-science-association", "qinglan-library"]
    assert recipients(change("missed"), None, routes, "critical") == [
        "qinglan-science-association", "qinglan-library", "qinglan-townships"]
