"""Organisation rules, free of bus and database: who exists, how tokens are recorded and checked."""
from __future__ import annotations

import datetime as dt
import hmac
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.common.bounds import CODE_PATTERN, Code, text
from libs.common.plan.schema import Plan

_SHA256 = re.compile(r"[0-9a-f]{64}")
RegistrableKind = Literal["town", "village", "department", "body"]


class OrgRegistration(BaseModel):
    """What an operator gives to register a town (or village, or a body the plan missed)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN, max_length=64)
    name: text(200, min_length=1)
    kind: RegistrableKind
    parent: Code | None = None
    is_example: bool = False


def orgs_from_plan(plan: Plan) -> list[dict]:
    """The region itself plus every organisation the plan names, as rows to upsert."""
    region = plan.meta.region
    rows = [{"code": region.code, "name": region.name, "kind": region.level, "parent": None}]
    rows += [
        {"code": o.code, "name": o.name, "kind": o.kind, "parent": o.parent or region.code}
        for o in plan.organisations
    ]
    return rows


def expected_parent_kinds(kind: str) -> set[str]:
    """Towns hang under the 各镇（园区） category, villages under a town, others under the region."""
    return {"town": {"town_category"}, "village": {"town"}}.get(kind, {"county", "city", "province", "national"})


def is_token_hash(text: str) -> bool:
    """A sha256 in hex, as ``libs.common.access.token_hash`` writes it (never a token itself)."""
    return bool(_SHA256.fullmatch(text or ""))


def same_hash(stored: str, presented: str) -> bool:
    """Constant-time comparison, so response times say nothing about how much of a hash matched."""
    return hmac.compare_digest(stored.encode(), presented.encode())


_DURATION = re.compile(r"^(\d{1,5})([dhw])$")
UNITS = {"d": "days", "h": "hours", "w": "weeks"}


def parse_expiry(text: str | None, now: dt.datetime) -> dt.datetime | None:
    """``90d``, ``12h``, ``2w`` or an ISO date (YYYY-MM-DD, the token ends at that day's end, UTC)."""
    if not text:
        return None
    if match := _DURATION.match(text.strip()):
        amount, unit = int(match.group(1)), match.group(2)
        if amount == 0:
            raise ValueError(f"{text!r} would expire at once; give a positive duration")
        return now + dt.timedelta(**{UNITS[unit]: amount})
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is neither a duration (90d, 12h, 2w) nor a date (YYYY-MM-DD)") from None
    ends = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    if ends <= now:
        raise ValueError(f"{text} is in the past")
    return ends


def refusal(revoked_at: dt.datetime | None, expires_at: dt.datetime | None, now: dt.datetime) -> str | None:
    """Why a known token no longer works, or None while it does."""
    if revoked_at is not None:
        return "this token was revoked; ask the 科协 operator for a new one"
    if expires_at is not None and expires_at <= now:
        return f"this token expired on {expires_at:%Y-%m-%d %H:%M} UTC; ask the 科协 operator for a new one"
    return None


def subtree(parents: dict[str, str | None], root: str) -> list[str]:
    """``root`` and every organisation below it (``parents``: code -> parent code)."""
    children: dict[str | None, list[str]] = {}
    for code, parent in parents.items():
        children.setdefault(parent, []).append(code)
    out, todo = [], [root]
    while todo:
        code = todo.pop()
        out.append(code)
        todo.extend(children.get(code, []))
    return sorted(out)
