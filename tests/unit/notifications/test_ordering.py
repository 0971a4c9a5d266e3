"""Replicas may hand notifications a window's status changes out of order: an older change that
arrives after a newer one is skipped, so a recovered window does not fire again."""
from __future__ import annotations

from services.notifications.models import Alert
from tests.unit.notifications.county import County, change


def test_an_older_change_arriving_late_is_skipped():
    county = County()
    county.feed(change(status="on_track", sequence=2))
    assert county.feed(change(status="lagging", sequence=1)) == []
    assert county.session.query(Alert).count() == 0
    (opened,) = county.feed(change(status="lagging", sequence=3))
    assert opened.action == "open"


def test_changes_without_a_sequence_apply_in_order_of_arrival():
    """From an indicators service older than sequences."""
    county = County()
    county.feed(change(status="lagging", sequence=0))
    (resolved,) = county.feed(change(status="on_track", sequence=0))
    assert resolved.action == "resolve"
