"""Which progress figures and alerts the gateway hands a caller, as one table per rule."""
from __future__ import annotations

import pytest

from services.gateway.access import may_read_alert, may_read_scope
from tests.unit.callers import ADMIN, DEPT, TOWN, VIEWER


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
