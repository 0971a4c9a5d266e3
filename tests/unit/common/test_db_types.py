"""Stored times come back aware (UTC) on SQLite too, so rules compare them with an aware now."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select

from libs.common.db import UtcDateTime


def test_a_stored_time_comes_back_as_the_same_aware_utc_moment():
    engine = create_engine("sqlite://")
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UtcDateTime))
    table.metadata.create_all(engine)
    moment = dt.datetime(2024, 6, 30, 12, 30, tzinfo=dt.timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=1, at=moment))
        back = conn.execute(select(table.c.at)).scalar()
    assert back == moment and back.tzinfo is not None
    assert back < moment + dt.timedelta(seconds=1)  # comparable with an aware now


def test_a_time_given_in_another_zone_is_stored_as_its_utc_moment():
    engine = create_engine("sqlite://")
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UtcDateTime))
    table.metadata.create_all(engine)
    beijing = dt.datetime(2024, 6, 30, 20, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=1, at=beijing))
        assert conn.execute(select(table.c.at)).scalar() == beijing
