"""Tables of the organisations service (its own database)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from libs.common.db import UtcDateTime
from libs.common.outbox import OutboxMixin


class Base(DeclarativeBase):
    pass


class Org(Base):
    __tablename__ = "orgs"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    parent: Mapped[str | None] = mapped_column(ForeignKey("orgs.code"))
    from_plan: Mapped[bool] = mapped_column(Boolean, default=False)
    is_example: Mapped[bool] = mapped_column(Boolean, default=False)  # demo towns, never real data
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now())


class ApiToken(Base):
    """A bearer token a department system uses at the gateway; only its hash is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    org: Mapped[str] = mapped_column(ForeignKey("orgs.code"))
    label: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), default="reporter")  # reporter / viewer / admin
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class Channel(Base):
    """Where an organisation's alert digests go (``libs.common.channels`` says what each kind
    needs). Target and secret are sealed for notifications (organisations cannot open them); the
    masked forms are what listings show. Removal keeps the row, so a digest's deliveries can
    still say where they went.

    ``clear_target``/``clear_secret`` hold only channels added before sealing (revision 0002
    moved them there) until ``kepu org channel seal`` seals them; nothing new is written there."""

    __tablename__ = "channels"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(ForeignKey("orgs.code"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    sealed_target: Mapped[str | None] = mapped_column(Text)
    sealed_secret: Mapped[str] = mapped_column(Text, default="")
    target_shown: Mapped[str] = mapped_column(Text, default="")
    secret_shown: Mapped[str] = mapped_column(String(40), default="")
    clear_target: Mapped[str | None] = mapped_column(Text)
    clear_secret: Mapped[str | None] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now())
    removed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class Account(Base):
    """A person (a clerk) who signs in to the web portal for an organisation. Only hashes are
    kept: the password's argon2id (none until the person completes set-up) and the one-time
    set-up code's sha256 (none once used)."""

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(ForeignKey("orgs.code"), index=True)
    account: Mapped[str] = mapped_column(String(64), unique=True)  # the login name, e.g. fulian-wang
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))  # reporter / viewer / admin
    password_hash: Mapped[str | None] = mapped_column(String(200))
    setup_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    setup_expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class AccountSession(Base):
    """A person's signed-in session; only the credential's sha256 is kept."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    ended_why: Mapped[str | None] = mapped_column(String(32))  # signed_out / ended_by_operator / account_disabled / …
    address: Mapped[str] = mapped_column(String(64), default="")


class SignInFailure(Base):
    """One failed sign-in, kept for the throttle's window (``domain.SignInLimits``): in the
    database, so every replica counts the same failures and a restart forgets none. ``account``
    is the name given, whether it exists or not."""

    __tablename__ = "sign_in_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)


class OutboxEvent(OutboxMixin, Base):
    """Channel changes, published to notifications after commit."""
