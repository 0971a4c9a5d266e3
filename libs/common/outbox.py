"""Transactional outbox: events are stored in the same transaction as the change they
describe, and a relay publishes them with publisher confirms, then marks them sent.

Never commit-then-dispatch: a crash between the two would lose the event. A crash between
publish and mark-sent republishes instead, which idempotent consumers absorb.

Replicas of a service share its outbox: a relay first claims a run of rows (a short write),
publishes them outside any transaction, then marks them sent. A claim older than
``CLAIM_SECONDS`` (its relay died) is taken over, so no row is stranded and, while relays live,
none is published twice.
"""
from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import socket

from kombu import Connection
from sqlalchemy import DateTime, Integer, String, Text, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from libs.common.bus.publisher import EnvelopePublisher, StoredEvent
from libs.common.bus.topology import event_exchange, require
from libs.common.db import UtcDateTime, make_engine
from libs.common.events import Envelope
from libs.common.loops import BackgroundLoop
from libs.common.metrics import OUTBOX_PENDING, OUTBOX_PUBLISHED
from libs.common.settings import settings_from_config

log = logging.getLogger(__name__)


class OutboxMixin:
    """Columns of a service's ``outbox`` table (each service has its own, in its own DB)."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


RELAY_BATCH = 500  # events per claim and confirm round
CLAIM_SECONDS = 60.0  # a relay publishes a claimed run within seconds; one this old has died


def add_to_outbox(session: Session, model: type, envelope: Envelope) -> None:
    """Stage an event in the caller's transaction; the relay publishes it after commit."""
    session.add(model(event_id=envelope.event_id, event_type=envelope.type, body=envelope.model_dump_json()))


def relay_batch(session: Session, model: type, publisher: EnvelopePublisher, source: str, claimant: str,
                limit: int = RELAY_BATCH) -> int:
    """Claim up to ``limit`` unsent events of ``source`` (the service), publish them in order, mark
    them sent. Returns how many.

    ``claimant`` must be unique per call (relay and round): it finds the claimed rows again."""
    now = dt.datetime.now(dt.timezone.utc)
    claimable = (model.sent_at.is_(None)
                 & (model.claimed_at.is_(None) | (model.claimed_at < now - dt.timedelta(seconds=CLAIM_SECONDS))))
    run = select(model.id).where(claimable).order_by(model.id).limit(limit).scalar_subquery()
    # the claim condition is repeated on the row itself: PostgreSQL re-checks it after waiting
    # for a concurrent claim of the same row, so only one relay gets it
    rows = sorted(session.execute(
        update(model).where(model.id.in_(run), claimable).values(claimed_by=claimant, claimed_at=now)
        .returning(model.id, model.event_type, model.event_id, model.body)).all())
    session.commit()  # never hold a transaction (SQLite's write lock) across network I/O
    if not rows:
        return 0
    try:
        publisher.publish_stored([StoredEvent(source, r.event_type, r.event_id, r.body) for r in rows])
    except Exception:
        # give the run back at once (a later round retries it); if even that fails, it is taken
        # over when the claim ages out
        session.execute(update(model).where(model.claimed_by == claimant, model.sent_at.is_(None))
                        .values(claimed_by=None, claimed_at=None))
        session.commit()
        raise
    session.execute(update(model).where(model.id.in_([r.id for r in rows])).values(sent_at=now))
    session.commit()
    return len(rows)


def pending_count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model).where(model.sent_at.is_(None))) or 0


class OutboxRelay(BackgroundLoop):
    """Background relay inside a nameko service. Workers call ``.wake()`` after committing."""

    def __init__(self, model: type, service: str):
        super().__init__()
        self.model = model
        self.service = service

    def setup(self) -> None:
        settings = settings_from_config(self.container.config)
        self.interval = settings.outbox_interval
        # the service's Database provider creates the tables; nameko finishes every setup()
        # before any start(), so the relay's loop never runs ahead of them
        self.engine = make_engine(settings.database_url(self.service))
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.publisher = EnvelopePublisher(self.container.config["AMQP_URI"])
        with Connection(self.container.config["AMQP_URI"], connect_timeout=10) as conn:
            require(conn, exchanges=[event_exchange(self.service).name])
        self.claimant = f"{socket.gethostname()[:30]}:{os.getpid()}:{id(self) % 10_000}"
        self.rounds = itertools.count()
        self.backoff = self.interval

    def close(self) -> None:
        self.publisher.close()
        self.engine.dispose()

    def flush(self) -> int:
        """Publish everything pending now (also used by tests and on shutdown)."""
        total = 0
        with self.session_factory() as session:
            while True:
                n = relay_batch(session, self.model, self.publisher, self.service,
                                f"{self.claimant}/{next(self.rounds)}")
                total += n
                OUTBOX_PUBLISHED.labels(self.service).inc(n)
                if n < RELAY_BATCH:  # drained (rows committed meanwhile wake the loop again)
                    break
        OUTBOX_PENDING.labels(self.service).set(0)  # drained; rows committed since wake the loop
        return total

    def _count_backlog(self) -> None:
        """After a failed flush: show operators how many events wait for the broker."""
        try:
            with self.session_factory() as session:
                OUTBOX_PENDING.labels(self.service).set(pending_count(session, self.model))
        except Exception:  # the database itself failing is already in the error log
            pass

    def run_once(self) -> None:
        try:
            self.flush()
            self.backoff = self.interval
        except Exception as exc:  # broker down, DB locked: keep the rows, retry later
            self.backoff = min(max(self.backoff * 2, 0.5), 30.0)
            log.error("%s outbox relay could not publish (%s); events stay stored, retrying in %.1fs. "
                      "Check that RabbitMQ at KEPU_AMQP_URI is up.", self.service, exc, self.backoff)
            self._count_backlog()

    def pause(self) -> float:
        return self.backoff
