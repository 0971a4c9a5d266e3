"""Who is calling: the caller behind a bearer token, and its role.

One definition, used by the gateway (which resolves a token to a caller before it asks a
service) and by the services (which receive that caller with every request). The rules each
role is held to live with the one that applies them: ``services/activities/access.py``
(whose activities a caller reads and changes) and ``services/gateway/access.py`` (whose
progress and alerts a caller reads).

- ``reporter`` writes and reads its own organisation's data;
- ``viewer`` reads it;
- ``admin`` (the 科协 operators) reads everything and may correct or retract any activity.
"""
from __future__ import annotations

import hashlib
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

Role = Literal["reporter", "viewer", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
WRITING_ROLES = frozenset({"reporter", "admin"})


class Caller(BaseModel):
    """The organisation and role a bearer stands for (what ``organisations.authenticate`` returns):
    a system's token (``token_id``) or a person's session (``account``, ``session_id``)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    org: str
    org_kind: str
    role: Role
    token_id: int | None = None
    name: str = ""  # the organisation's name (WhoAmI shows it)
    region: str | None = None  # the organisation's region: an admin's reach is this region and those below
    account: str | None = None  # a person signed in through the portal; None for a system's token
    display_name: str = ""
    session_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_town(self) -> bool:
        return self.org_kind == "town"

    @property
    def may_write(self) -> bool:
        return self.role in WRITING_ROLES

    @property
    def credential(self) -> str | None:
        """One key per bearer (``token:7``, ``session:12``), for what is counted or grouped per
        bearer: two people's sessions of one organisation are two bearers, not one."""
        if self.session_id is not None:
            return f"session:{self.session_id}"
        return f"token:{self.token_id}" if self.token_id is not None else None

    def audit_fields(self) -> dict:
        """What the audit trail records of every write: for a person, also who (``by_account``)."""
        return {"by_org": self.org, "by_role": self.role, "by_token_id": self.token_id, "by_account": self.account}


def token_hash(token: str) -> str:
    """sha256 of a bearer token: what organisations stores, and what the gateway asks about, so
    the token itself never travels on the bus nor rests in a database."""
    return hashlib.sha256(token.encode()).hexdigest()
