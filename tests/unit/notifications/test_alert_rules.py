"""When a status change opens, updates, resolves or ignores an alert."""
from __future__ import annotations

import datetime as dt

import pytest

from libs.common.events import IndicatorStatusChanged
from services.notifications.domain import decide, recipients


def change(status: str, previous: str | None = None) -> IndicatorStatusChanged:
    return IndicatorStatusChanged(
        indicator="caravan-tours", indicator_name="科普大篷车巡展", window="2024", scope="dangshan",
        previous=previous, status=status, actual=1, expected=5, target=10, unit="场次",
        as_of=dt.date(2024, 6, 30), responsible=["cast"],
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
    assert recipients(change("lagging"), "leading-group-office") == ["cast", "leading-group-office"]
    assert recipients(change("lagging"), "cast") == ["cast"]
