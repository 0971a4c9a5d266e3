"""Organisation rules, free of bus and database: who exists, how tokens are made and checked."""
from __future__ import annotations

import hashlib
import secrets
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.common.plan.schema import CODE_PATTERN, Plan

RegistrableKind = Literal["town", "village", "department", "body"]


class OrgRegistration(BaseModel):
    """What an operator gives to register a town (or village, or a body the plan missed)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    kind: RegistrableKind
    parent: str | None = None
    is_example: bool = False


def orgs_from_plan(plan: Plan) -> list[dict]:
    """The region itself plus every organisation the plan names, as rows to upsert."""
    region = plan.plan.region
    rows = [{"code": region.code, "name": region.name, "kind": region.level, "parent": None}]
    rows += [
        {"code": o.code, "name": o.name, "kind": o.kind, "parent": o.parent or region.code}
        for o in plan.organisations
    ]
    return rows


def expected_parent_kinds(kind: str) -> set[str]:
    """Towns hang under the 各镇（园区） category, villages under a town, others under the region."""
    return {"town": {"town_category"}, "village": {"town"}}.get(kind, {"county", "city", "province", "national"})


def new_token() -> tuple[str, str]:
    """A fresh bearer token and the hash we store (the token itself is shown once)."""
    token = "kepu_" + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
