"""Who may do what, as one table per rule (the gateway and the services share these rules)."""
from __future__ import annotations

import pytest

from libs.common.access import (
    Caller,
    may_change_activity,
    may_read_activity,
    may_read_alert,
    may_read_scope,
    town_problem,
)

DEPT = Caller(org="edu", org_kind="department", role="reporter", token_id=1)
VIEWER = Caller(org="edu", org_kind="department", role="viewer", token_id=2)
ADMIN = Caller(org="leading-group-office", org_kind="office", role="admin", token_id=3)
TOWN = Caller(org="town-a", org_kind="town", role="reporter", token_id=4)


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


@pytest.mark.parametrize(("caller", "scope", "responsible", "allowed"), [
    (DEPT, "org:edu", [], True), (DEPT, "org:cast", ["edu"], False), (DEPT, "dangshan", ["edu"], True),
    (DEPT, "dangshan", ["cast"], False), (TOWN, "town:town-a", [], True), (TOWN, "town:town-b", [], False),
    (ADMIN, "org:cast", [], True), (VIEWER, "dangshan", ["edu"], True),
])
def test_progress_is_read_in_ones_own_scopes_and_for_the_indicators_one_answers_for(caller, scope, responsible,
                                                                                       allowed):
    assert may_read_scope(caller, scope, responsible) is allowed


def test_alerts_are_read_by_their_recipients_and_admins():
    assert may_read_alert(DEPT, ["edu", "leading-group-office"]) and not may_read_alert(DEPT, ["cast"])
    assert may_read_alert(ADMIN, ["cast"])
