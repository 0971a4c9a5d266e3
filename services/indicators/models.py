"""Tables of the indicators service."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Float, Index, Integer, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from libs.common.db import SerialLockMixin, UtcDateTime
from libs.common.outbox import OutboxMixin
from libs.common.processed import ProcessedEventMixin


class Base(DeclarativeBase):
    pass


class ContributionColumns:
    """What one activity (at its latest revision) adds to one indicator window in one scope."""

    activity_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    indicator: Mapped[str] = mapped_column(String(128), primary_key=True)
    window: Mapped[str] = mapped_column(String(16), primary_key=True)
    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    observed_on: Mapped[dt.date] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(Integer)


class RevisionColumns:
    """The latest revision of each activity applied, so an older revision never overrides."""

    activity_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)


class ContributionRow(ContributionColumns, Base):
    __tablename__ = "contributions"
    # a window's figure is the sum over its rows: found by this index, not by scanning every activity
    __table_args__ = (Index("ix_contributions_window", "indicator", "window", "scope"),)


class ActivityRevision(RevisionColumns, Base):
    __tablename__ = "activity_revisions"


class RebuildContribution(ContributionColumns, Base):
    """The store a rebuild fills from the activities' replay, beside the live one until switch-over."""

    __tablename__ = "rebuild_contributions"


class RebuildRevision(RevisionColumns, Base):
    __tablename__ = "rebuild_activity_revisions"


class RebuildReplayedEvent(ProcessedEventMixin, Base):
    """Replayed activities already in the rebuild store: counted to know when the replay is in."""

    __tablename__ = "rebuild_processed_events"


class RebuildRun(Base):
    """One `kepu indicators rebuild`: replaying, then switched (or superseded by a newer run)."""

    __tablename__ = "rebuild_runs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # replaying / switched / superseded
    expected: Mapped[int | None] = mapped_column(Integer)  # activities replayed, once the replay has ended
    status_changes: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class WindowState(Base):
    """Current value and status of an indicator window in a scope."""

    __tablename__ = "window_states"
    indicator: Mapped[str] = mapped_column(String(128), primary_key=True)
    window: Mapped[str] = mapped_column(String(16), primary_key=True)
    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    actual: Mapped[float] = mapped_column(Float, default=0.0)
    expected: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str | None] = mapped_column(String(16))
    as_of: Mapped[dt.date | None] = mapped_column(Date)
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # status-change events sent for this window
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                    onupdate=func.now())


class ScopeRegion(Base):
    """The region each scope belongs to: a region's own scope is itself, an organisation's or a
    town's is where it reports (written as activities are counted; org codes are one namespace
    across regions, so a scope has one region). What finds the plan of a breakdown's window."""

    __tablename__ = "scope_regions"
    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    region: Mapped[str] = mapped_column(String(64))


class ProcessedEvent(ProcessedEventMixin, Base):
    """Activity events already applied, marked in the same transaction as their counts."""


class OutboxEvent(OutboxMixin, Base):
    pass


class SerialLock(SerialLockMixin, Base):
    """Replicas apply events and the clock one transaction at a time (``libs.common.db.serialise``)."""
