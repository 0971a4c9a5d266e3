"""Whose activities a caller reads, reports and changes, as one table per rule."""
from __future__ import annotations

import pytest

from services.activities.access import may_change_activity, may_read_activity, town_problem
from tests.unit.callers import ADMIN, DEPT, TOWN, VIEWER


@pytest.mark.parametrize(("caller", "owner", "allowed"), [
    (DEPT, "edu", True), (DEPT, "cast", False), (VIEWER, "edu", False), (ADMIN, "cast", True),
    (TOWN, "town-a", True), (TOWN, "edu", False),
])
def test_only_the_reporting_unit_or_an_admin_changes_an_activity(caller, owner, allowed):
    assert may_change_activity(caller, owner) is allowed


@pytest.mark.parametrize(("caller", "owner", "town", "allowed"), [
    (DEPT, "edu", None, True), (VIEWER, "edu", "town-a", True), (DEPT, "cast", None, False),
    (ADMIN, "cast", None, True), (TOWN, "edu", "town-a", True), (TOWN, "edu", "town-b", False),
])
def test_reading_an_activity(caller, owner, town, allowed):
    assert may_read_activity(caller, owner, town) is allowed


def test_a_town_reports_only_what_happened_in_the_town():
    assert town_problem(TOWN, None) is None and town_problem(TOWN, "town-a") is None
    assert "town-b" in town_problem(TOWN, "town-b")
    assert town_problem(DEPT, "town-b") is None
