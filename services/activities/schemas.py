"""Typed results of the activities service's RPC methods, one definition each.

An activity itself is ``libs.common.contracts.activity.ActivityRecord``; the gateway turns these
into proto messages (``services/gateway/mapping.py``).
"""
from __future__ import annotations

from pydantic import BaseModel

from libs.common.db import iso
from libs.common.errors import BadRequest, Conflict, Locked, Refusal, Violation
from services.activities.models import ActivityAudit


class AuditEntryView(BaseModel):
    revision: int
    action: str
    at: str | None
    by_org: str
    by_role: str | None
    by_token_id: int | None
    by_account: str | None = None
    reason: str | None
    activity: dict

    @classmethod
    def of(cls, row: ActivityAudit) -> "AuditEntryView":
        return cls(revision=row.revision, action=row.action, at=iso(row.at), by_org=row.by_org,
                   by_role=row.by_role, by_token_id=row.by_token_id, by_account=row.by_account, reason=row.reason,
                   activity=row.snapshot)


class RowResult(BaseModel):
    index: int
    outcome: str
    activity: dict | None = None
    violations: list[Violation] = []


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


class GroupAnswer(BaseModel):
    """The answer to one report of a group (``app.report_group``): the stored activity and whether
    it was created, or the refusal's class name and violations."""

    activity: dict | None = None
    created: bool = False
    refusal: str | None = None
    violations: list[Violation] = []

    def result(self) -> dict:
        """What a single report answers: the activity with ``created``; raises the refusal."""
        if self.refusal is not None:
            raise REFUSALS[self.refusal](self.violations)
        return {**self.activity, "created": self.created}


REFUSALS: dict[str, type[Refusal]] = {"BadRequest": BadRequest, "Conflict": Conflict, "Locked": Locked}
