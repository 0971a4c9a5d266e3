"""The organisations unit of work on SQLite in memory, seeded from the Dangshan plan (milliseconds)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from libs.common.plan import load_plan
from libs.common.plan.atlas import atlas_of
from libs.common.settings import REPO_ROOT
from services.organisations import app
from services.organisations.models import Base, OutboxEvent

NOW = dt.datetime(2024, 6, 30, 12, tzinfo=dt.timezone.utc)


@pytest.fixture
def session():
    """Seeded, with the seeding's own events taken out of the outbox (tests look at what they caused)."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as s:
        app.seed_orgs(s, atlas_of([load_plan(REPO_ROOT / "plans" / "dangshan-2021-2025.yaml")]), NOW)
        s.query(OutboxEvent).delete()
        s.commit()
        yield s
