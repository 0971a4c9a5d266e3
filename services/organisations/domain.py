"""Organisation rules, free of bus and database: who exists, how tokens are recorded and checked, and
for people: account names, how failed sign-ins are throttled, when a session ends."""
from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import math
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.common.bounds import CODE_PATTERN, Code, text
from libs.common.plan.atlas import Atlas
from libs.common.plan.schema import LEVEL_RANK, Plan

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


REGION_KINDS = frozenset(LEVEL_RANK)  # a region's own row: its kind is its level


def orgs_from_plan(plan: Plan) -> list[dict]:
    """The region itself (under its parent region, if any) plus every organisation the plan
    names, as rows to upsert."""
    region = plan.meta.region
    rows = [{"code": region.code, "name": region.name, "kind": region.level, "parent": region.parent}]
    rows += [
        {"code": o.code, "name": o.name, "kind": o.kind, "parent": o.parent or region.code}
        for o in plan.organisations
    ]
    return rows


def orgs_from_atlas(atlas: Atlas) -> list[dict]:
    """Every region's rows, parents before children (a region under its parent region); of a
    region's successive plans the latest names an organisation last, so its entry wins."""
    depth = {code: len(atlas.ancestors(code)) for code in atlas.regions}
    rows: dict[str, dict] = {}
    for code in sorted(atlas.regions, key=lambda c: (depth[c], c)):
        for plan in atlas.plans_of(code):
            rows |= {row["code"]: row for row in orgs_from_plan(plan)}
    return list(rows.values())


def region_of(parents: dict[str, str | None], kinds: dict[str, str], code: str) -> str | None:
    """The region an organisation belongs to: itself if it is a region's row, else the nearest
    region above it (a town: its county)."""
    seen: set[str] = set()
    at: str | None = code
    while at is not None and at not in seen:
        if kinds.get(at) in REGION_KINDS:
            return at
        seen.add(at)
        at = parents.get(at)
    return None


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


# --- people: accounts, sign-in throttling, sessions ------------------------------------------

ACCOUNT_PATTERN = r"^[a-z0-9._-]{3,64}$"
SessionEnd = Literal["signed_out", "ended_by_operator", "account_disabled", "password_changed"]
WRONG_CREDENTIALS = "账号或密码不正确"
NO_PASSWORD_YET = "该账号尚未设置密码，请使用县科协发给您的设置链接"
SETUP_INVALID = "设置链接无效或已过期，请联系县科协重新获取"
SESSION_EXPIRED = "会话已过期，请重新登录"
SESSION_ENDS: dict[str, str] = {
    "signed_out": "已退出登录，请重新登录",
    "ended_by_operator": "会话已被县科协结束，请重新登录",
    "account_disabled": "账号已停用，请联系县科协",
    "password_changed": "密码已重新设置，请用新密码登录",
}


class AccountRegistration(BaseModel):
    """What an operator gives to make a person's account (the set-up code's hash comes apart)."""

    model_config = ConfigDict(extra="forbid")

    org: Code
    account: str = Field(pattern=ACCOUNT_PATTERN, description="3–64 characters of a-z 0-9 . _ -")
    display_name: text(100, min_length=1)
    role: Literal["reporter", "viewer", "admin"]


@dataclass(frozen=True)
class SignInLimits:
    """How many failed sign-ins are allowed within ``window``: per account name (known or not)
    and per client address. Beyond, even a right password is refused until the window allows."""

    per_account: int = 5
    per_address: int = 20
    window: dt.timedelta = dt.timedelta(minutes=15)


def wait_before_sign_in(account_failures: list[dt.datetime], address_failures: list[dt.datetime],
                        limits: SignInLimits, now: dt.datetime) -> dt.timedelta | None:
    """How long until another sign-in may be tried (None: now), given the times of the recent
    failures for the account and from the address: a sliding window, so the oldest failure in it
    leaving is what lets the next attempt in."""
    waits = []
    for failures, limit in ((account_failures, limits.per_account), (address_failures, limits.per_address)):
        recent = sorted(t for t in failures if t > now - limits.window)
        if len(recent) >= limit:
            waits.append(recent[-limit] + limits.window - now)
    return max(waits) if waits else None


def too_many_attempts_message(wait: dt.timedelta) -> str:
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return f"登录失败次数过多，请{minutes}分钟后再试"


def address_key(address: str) -> str:
    """A client address as failures are counted by it: an IPv6 client by its /64 (one host
    usually holds a whole /64), anything else as given, cut to 64 characters."""
    address = (address or "").strip()
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address[:64]
    if ip.version == 6:
        mapped = ip.ipv4_mapped
        return str(mapped) if mapped else str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass(frozen=True)
class SessionLimits:
    """A session ends after ``idle`` without a call, and at ``longest`` after sign-in whatever."""

    idle: dt.timedelta = dt.timedelta(hours=8)
    longest: dt.timedelta = dt.timedelta(hours=24)
    touch_every: dt.timedelta = dt.timedelta(minutes=1)  # last_seen_at is written at most this often


def session_refusal(ended_why: str | None, created_at: dt.datetime, last_seen_at: dt.datetime,
                    account_disabled: bool, limits: SessionLimits, now: dt.datetime) -> str | None:
    """Why a session no longer works (a message for the person), or None while it does."""
    if ended_why is not None:
        return SESSION_ENDS.get(ended_why, SESSION_EXPIRED)
    if account_disabled:
        return SESSION_ENDS["account_disabled"]
    if now - last_seen_at >= limits.idle or now - created_at >= limits.longest:
        return SESSION_EXPIRED
    return None


def setup_usable(setup_expires_at: dt.datetime | None, disabled: bool, now: dt.datetime) -> bool:
    """A set-up code works until it expires (or is used, which forgets it), not for a disabled account."""
    return not disabled and setup_expires_at is not None and now < setup_expires_at
