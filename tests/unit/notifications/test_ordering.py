"""Replicas may hand notifications a window's status changes out of order: an older change that
arrives after a newer one is skipped, so a recovered window does not fire again."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from libs.common.events import IndicatorStatusChanged, make_envelope
from services.notifications import app
from services.notifications.models import Alert, Base


def change(status: str, sequence: int) -> object:
    return make_envelope("indicators", IndicatorStatusChanged(
        indicator="caravan-tours", indicator_name="科普大篷车巡展", window="2024", scope="dangshan", previous=None,
        status=status, actual=1, expected=5, target=10, unit="场次", as_of=dt.date(2024, 6, 30),
        responsible=["cast"], sequence=sequence))


POLICY = app.Policy("leading-group-office")
NOW = dt.datetime(2024, 6, 30, 2, tzinfo=dt.timezone.utc)


def test_an_older_change_arriving_late_is_skipped():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        app.apply_changes(session, [change("on_track", 2)], POLICY, NOW)
        assert app.apply_changes(session, [change("lagging", 1)], POLICY, NOW) == []
        assert session.query(Alert).count() == 0
        (opened,) = app.apply_changes(session, [change("lagging", 3)], POLICY, NOW)
        assert opened.action == "open"
