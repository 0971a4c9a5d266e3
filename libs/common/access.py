"""Who may do what: the caller behind a bearer token, and the rules of its role.

One definition, used by the gateway (before it asks a service) and by the services (for the
object-level checks only they can make, e.g. whose activity a correction touches).

- ``reporter`` writes and reads its own organisation's data;
- ``viewer`` reads it;
- ``admin`` (the 科协 operators) reads everything and may correct or retract any activity.

A town's token covers the town: it reads the activities reported by the town and those held in
it, and reports only activities held in the town.
"""
from __future__ import annotations

import hashlib
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

Role = Literal["reporter", "viewer", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
WRITING_ROLES = frozenset({"reporter", "admin"})


class Caller(BaseModel):
    """The organisation and role a token stands for (what ``organisations.authenticate`` returns)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    org: str
    org_kind: str
    role: Role
    token_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_town(self) -> bool:
        return self.org_kind == "town"

    @property
    def may_write(self) -> bool:
        return self.role in WRITING_ROLES

    def audit_fields(self) -> dict:
        """What the audit trail records of every write."""
        return {"by_org": self.org, "by_role": self.role, "by_token_id": self.token_id}


def may_change_activity(caller: Caller, activity_org: str) -> bool:
    """Corrections and retractions: the reporting unit itself, or an admin."""
    return caller.may_write and (caller.is_admin or activity_org == caller.org)


def may_read_activity(caller: Caller, activity_org: str, activity_town: str | None) -> bool:
    return caller.is_admin or activity_org == caller.org or (caller.is_town and activity_town == caller.org)


def town_problem(caller: Caller, town: str | None) -> str | None:
    """A town's token reports only what happened in the town (an empty town means the town itself)."""
    if caller.is_town and town and town != caller.org:
        return f"a token of town {caller.org!r} reports only activities held in {caller.org!r}, not in {town!r}"
    return None


def own_scopes(caller: Caller) -> frozenset[str]:
    """The breakdown scopes of the caller's own figures (the indicators service's scope names)."""
    scopes = {f"org:{caller.org}"}
    if caller.is_town:
        scopes.add(f"town:{caller.org}")
    return frozenset(scopes)


def may_read_scope(caller: Caller, scope: str, responsible: list[str] | tuple[str, ...]) -> bool:
    """Progress: its own breakdowns; the region's figure (a scope without a prefix) of the
    indicators it answers for."""
    if caller.is_admin or scope in own_scopes(caller):
        return True
    return ":" not in scope and caller.org in responsible


def token_hash(token: str) -> str:
    """sha256 of a bearer token: what organisations stores, and what the gateway asks about, so
    the token itself never travels on the bus nor rests in a database."""
    return hashlib.sha256(token.encode()).hexdigest()


def may_read_alert(caller: Caller, recipients: list[str]) -> bool:
    return caller.is_admin or caller.org in recipients
