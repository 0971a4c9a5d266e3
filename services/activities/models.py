"""Tables of the activities service: activities, their audit trail, its copy of the
organisations (fed by organisations' events), and the outbox."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from libs.common.db import SerialLockMixin, UtcDateTime
from libs.common.outbox import OutboxMixin


class Base(DeclarativeBase):
    pass


class Activity(Base):
    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("org", "external_id", name="uq_activity_org_external_id"),
        Index("ix_activities_listing", "org", "start_date", "id"),  # ListActivities' keyset order
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    org: Mapped[str] = mapped_column(String(64), index=True)
    region: Mapped[str | None] = mapped_column(String(64))  # the reporter's region (None: from before regions)
    external_id: Mapped[str | None] = mapped_column(String(128))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    retracted: Mapped[bool] = mapped_column(Boolean, default=False)
    retract_reason: Mapped[str | None] = mapped_column(String(500))
    activity_type: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    town: Mapped[str | None] = mapped_column(String(64))
    target_group: Mapped[str | None] = mapped_column(String(32))
    co_organisers: Mapped[list] = mapped_column(JSON, default=list)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    quantities: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now())
    updated_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class ActivityAudit(Base):
    """Every change to an activity: who, when, what it became."""

    __tablename__ = "activity_audit"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    activity_id: Mapped[str] = mapped_column(ForeignKey("activities.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # recorded / corrected / retracted
    by_org: Mapped[str] = mapped_column(String(64))
    by_role: Mapped[str | None] = mapped_column(String(16))
    by_token_id: Mapped[int | None] = mapped_column(BigInteger)
    by_account: Mapped[str | None] = mapped_column(String(64))  # a person's account (a portal session)
    reason: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now())
    snapshot: Mapped[dict] = mapped_column(JSON)


class KnownOrganisation(Base):
    """Activities' own copy of an organisation (``organisation_changed`` events): what a report's
    town and co-organisers are checked against, without asking organisations mid-request."""

    __tablename__ = "known_organisations"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    parent: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(64))  # None: sent by a system from before regions
    changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class PeriodReport(Base):
    """An organisation's report for one reporting period (本期已报送, or 本期无活动 with ``nil``),
    and its approval (审核), which locks the period. No row: not submitted, never a zero."""

    __tablename__ = "period_reports"
    __table_args__ = (UniqueConstraint("org", "period", name="uq_period_report_org_period"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(16))  # "2025Q3", "2025-03", "2025H1", "2025"
    submitted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    nil: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    approved_by: Mapped[str] = mapped_column(String(64), default="")


class PeriodAudit(Base):
    """Every submission, approval and reopening of a period: who, when, why."""

    __tablename__ = "period_audit"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))  # submitted / approved / reopened
    nil: Mapped[bool] = mapped_column(Boolean, default=False)
    by_org: Mapped[str] = mapped_column(String(64))
    by_role: Mapped[str | None] = mapped_column(String(16))
    by_token_id: Mapped[int | None] = mapped_column(BigInteger)
    by_account: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class DutyRecord(Base):
    """The last state published of one reporting duty (a period's report, or a year's expected
    campaign) and how many changes of it were published: what the next evaluation compares with."""

    __tablename__ = "reporting_duties"
    __table_args__ = (UniqueConstraint("org", "period", "campaign", name="uq_reporting_duty"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(16))  # the period's key, or the campaign's year
    campaign: Mapped[str] = mapped_column(String(64), default="")  # the activity type; "" for a period
    state: Mapped[str] = mapped_column(String(16))  # reminder / overdue / missing_campaign / resolved
    days_left: Mapped[int | None] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class DutyMonitoring(Base):
    """Since when reporting duties are judged (the first evaluation's date): a period due before
    it, or a season ended before it, is history and nobody is chased for it."""

    __tablename__ = "duty_monitoring"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    since: Mapped[dt.date] = mapped_column(Date)


class SerialLock(SerialLockMixin, Base):
    """Replicas judge the reporting duties one at a time (``libs.common.db.serialise``)."""


class OutboxEvent(OutboxMixin, Base):
    pass
