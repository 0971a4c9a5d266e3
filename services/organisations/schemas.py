"""Typed results of the organisations service's RPC methods."""
from __future__ import annotations

from pydantic import BaseModel

from libs.common.db import iso
from services.organisations.models import ApiToken, Channel, Org


class OrgView(BaseModel):
    code: str
    name: str
    kind: str
    parent: str | None
    from_plan: bool
    is_example: bool

    @classmethod
    def of(cls, org: Org) -> "OrgView":
        return cls(code=org.code, name=org.name, kind=org.kind, parent=org.parent, from_plan=bool(org.from_plan),
                   is_example=bool(org.is_example))


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
