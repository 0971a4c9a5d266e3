"""Typed results of the organisations service's RPC methods."""
from __future__ import annotations

from pydantic import BaseModel

from libs.common.db import iso
from services.organisations.models import Account, AccountSession, ApiToken, Channel, Org


class OrgView(BaseModel):
    code: str
    name: str
    kind: str
    parent: str | None
    from_plan: bool
    is_example: bool
    region: str | None = None  # the region it belongs to (a region's own row: itself)

    @classmethod
    def of(cls, org: Org, region: str | None = None) -> "OrgView":
        return cls(code=org.code, name=org.name, kind=org.kind, parent=org.parent, from_plan=bool(org.from_plan),
                   is_example=bool(org.is_example), region=region)


class TokenView(BaseModel):
    """A token as operators see it: never the secret (only its hash is stored)."""

    token_id: int
    org: str
    role: str
    label: str
    created_at: str | None
    expires_at: str | None
    revoked_at: str | None

    @classmethod
    def of(cls, t: ApiToken) -> "TokenView":
        return cls(token_id=t.id, org=t.org, role=t.role, label=t.label, created_at=iso(t.created_at),
                   expires_at=iso(t.expires_at), revoked_at=iso(t.revoked_at))


class ChannelView(BaseModel):
    """A channel as operators see it: the masked forms the operator's command made when it sealed
    the channel (``libs.common.channels.masked``); organisations never holds the clear text."""

    channel_id: int
    org: str
    kind: str
    target: str
    secret: str
    label: str
    sealed: bool  # False: added before sealing, still in clear until `kepu org channel seal`
    created_at: str | None
    removed_at: str | None

    @classmethod
    def of(cls, c: Channel) -> "ChannelView":
        return cls(channel_id=c.id, org=c.org, kind=c.kind, target=c.target_shown, secret=c.secret_shown,
                   label=c.label, sealed=c.sealed_target is not None, created_at=iso(c.created_at),
                   removed_at=iso(c.removed_at))


class AccountView(BaseModel):
    """A person's account as operators see it: never a hash."""

    account_id: int
    org: str
    account: str
    display_name: str
    role: str
    password_set: bool
    setup_pending: bool  # a set-up code was issued and is not used yet (it may have expired)
    setup_expires_at: str | None
    created_at: str | None
    disabled_at: str | None
    active_sessions: int = 0

    @classmethod
    def of(cls, a: Account, active_sessions: int = 0) -> "AccountView":
        return cls(account_id=a.id, org=a.org, account=a.account, display_name=a.display_name, role=a.role,
                   password_set=a.password_hash is not None, setup_pending=a.setup_hash is not None,
                   setup_expires_at=iso(a.setup_expires_at) if a.setup_hash else None, created_at=iso(a.created_at),
                   disabled_at=iso(a.disabled_at), active_sessions=active_sessions)


class Identity(BaseModel):
    """Who a person is, as the portal shows it (kepu.v1.Identity)."""

    org: str
    org_name: str
    org_kind: str
    role: str
    account: str
    display_name: str

    @classmethod
    def of(cls, a: Account, org: Org) -> "Identity":
        return cls(org=org.code, org_name=org.name, org_kind=org.kind, role=a.role, account=a.account,
                   display_name=a.display_name)


class SessionView(BaseModel):
    """A session as operators see it: never its credential or hash."""

    session_id: int
    account: str
    org: str
    created_at: str | None
    last_seen_at: str | None
    ended_at: str | None
    ended_why: str | None
    address: str
    active: bool

    @classmethod
    def of(cls, s: AccountSession, a: Account, active: bool) -> "SessionView":
        return cls(session_id=s.id, account=a.account, org=a.org, created_at=iso(s.created_at),
                   last_seen_at=iso(s.last_seen_at), ended_at=iso(s.ended_at), ended_why=s.ended_why,
                   address=s.address, active=active)
