"""Typed results of the activities service's RPC methods, one definition each.

The gateway turns them into proto messages field by field (``services/gateway/mapping.py``).
"""
from __future__ import annotations

from pydantic import BaseModel

from libs.common.db import iso
from services.activities.models import Activity, ActivityAudit


class ActivityView(BaseModel):
    """A stored activity at its current revision."""

    activity_id: str
    org: str
    external_id: str | None
    revision: int
    retracted: bool
    retract_reason: str | None
    activity_type: str
    title: str
    town: str | None
    target_group: str | None
    co_organisers: list[str]
    start_date: str
    end_date: str
    quantities: dict[str, float]
    created_at: str | None
    updated_at: str | None

    @classmethod
    def of(cls, a: Activity) -> "ActivityView":
        return cls(
            activity_id=a.id, org=a.org, external_id=a.external_id, revision=a.revision, retracted=a.retracted,
            retract_reason=a.retract_reason, activity_type=a.activity_type, title=a.title, town=a.town,
            target_group=a.target_group, co_organisers=list(a.co_organisers or []),
            start_date=a.start_date.isoformat(), end_date=a.end_date.isoformat(),
            quantities={k: float(v) for k, v in a.quantities.items()},
            created_at=iso(a.created_at), updated_at=iso(a.updated_at),
        )


class AuditEntryView(BaseModel):
    revision: int
    action: str
    at: str | None
    by_org: str
    by_role: str | None
    by_token_id: int | None
    reason: str | None
    activity: dict

    @classmethod
    def of(cls, row: ActivityAudit) -> "AuditEntryView":
        return cls(revision=row.revision, action=row.action, at=iso(row.at), by_org=row.by_org,
                   by_role=row.by_role, by_token_id=row.by_token_id, reason=row.reason, activity=row.snapshot)


class RowResult(BaseModel):
    index: int
    outcome: str
    activity: dict | None = None
    violations: list[tuple[str, str]] = []


class BatchResult(BaseModel):
    results: list[RowResult]
    created: int = 0
    unchanged: int = 0
    corrected: int = 0
    invalid: int = 0
    conflicts: int = 0
    stored: bool = False

    @classmethod
    def of(cls, results: list[RowResult], dry_run: bool) -> "BatchResult":
        """Counts per outcome; ``stored`` when something was written (never on a dry run)."""
        counts = {o: sum(r.outcome == o for r in results) for o in ("created", "unchanged", "corrected", "invalid")}
        wrote = counts["created"] + counts["corrected"] > 0
        return cls(results=results, conflicts=sum(r.outcome == "conflict" for r in results),
                   stored=wrote and not dry_run, **counts)


class ActivityPage(BaseModel):
    activities: list[dict]
    next_page_token: str = ""
