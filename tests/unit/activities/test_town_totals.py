"""The Towns dashboard's figures come from the stored activities: retractions excluded, the
participants read from the JSON quantities by the database itself."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from services.activities.models import Activity, Base
from services.activities.repository import town_totals


def activity(n: int, town: str | None, start: dt.date, participants: float | None, retracted: bool = False):
    quantities = {"sessions": 1} | ({"participants": participants} if participants is not None else {})
    return Activity(id=f"a{n}", org="cast", external_id=f"e{n}", activity_type="caravan_tour", title="",
                    town=town, start_date=start, end_date=start, quantities=quantities, retracted=retracted,
                    co_organisers=[], revision=1)


def test_activities_and_participants_per_town_and_year():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all([
            activity(1, "town-a", dt.date(2024, 5, 1), 300), activity(2, "town-a", dt.date(2024, 9, 1), 200),
            activity(3, "town-a", dt.date(2025, 1, 3), None), activity(4, "town-b", dt.date(2024, 5, 2), 50),
            activity(5, "town-b", dt.date(2024, 6, 2), 999, retracted=True), activity(6, None, dt.date(2024, 5, 2), 7),
        ])
        session.commit()
        assert sorted(town_totals(session)) == [("town-a", 2024, 2, 500.0), ("town-a", 2025, 1, 0.0),
                                                ("town-b", 2024, 1, 50.0)]
