"""An in-memory SQLite unit of work for the indicators' use cases: no broker, milliseconds."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from libs.common.events import Envelope, IndicatorStatusChanged
from services.indicators.models import Base, OutboxEvent
from services.indicators.repository import UnitOfWork


class Work(UnitOfWork):
    """The service's unit of work on its own session, counting the relay's wake-ups."""

    def __init__(self, session: Session):
        self.wakes = 0
        super().__init__(session, self._woken)

    def _woken(self) -> None:
        self.wakes += 1

    def sent(self) -> list[IndicatorStatusChanged]:
        """The status changes committed to the outbox, in order."""
        rows = self.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))
        return [Envelope.model_validate_json(row.body).typed_payload() for row in rows]


@pytest.fixture
def uow():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield Work(session)
    engine.dispose()
