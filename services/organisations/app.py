"""Use cases of the organisations service: the hierarchy, towns, the tokens systems use, and
people's accounts and sessions (for the web portal).

Plain functions over a SQLAlchemy session (the unit of work); the service wires them to RPC.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from libs.common.access import ROLES
from libs.common.channels import ChannelSpec, SealedChannel, public_key_of, sealed_channel
from libs.common.errors import BadRequest, NotFound, TooManyAttempts, Unauthenticated, clip, invalid
from libs.common.events import OrganisationChanged, OrgChannelChanged, ReferenceRequested, make_envelope
from libs.common.outbox import add_to_outbox
from libs.common.plan.atlas import Atlas
from services.organisations import domain, passwords
from services.organisations.models import (
    Account,
    AccountSession,
    ApiToken,
    Channel,
    Org,
    OutboxEvent,
    SignInFailure,
)
from services.organisations.passwords import Passwords
from services.organisations.schemas import AccountView, ChannelView, Identity, OrgView, SessionView, TokenView

log = logging.getLogger(__name__)


def start(session: Session, atlas: Atlas, now: dt.datetime) -> None:
    """At start-up: seed the plans' organisations, and say if channels from before sealing wait in clear."""
    seed_orgs(session, atlas, now)
    if waiting := clear_channels(session):
        log.warning("%d notification channels from before sealing are kept in clear and not sent to "
                    "notifications: seal them with `kepu org channel seal`", waiting)


def seed_orgs(session: Session, atlas: Atlas, now: dt.datetime) -> None:
    """Upsert every region and every organisation the plans name (names may be corrected; a region
    may gain its parent region); those new or changed are published (``organisation_changed``).
    A county's system from before regions keeps every row: its region gains nothing but what the
    plans now say."""
    changed: list[Org] = []
    for row in domain.orgs_from_atlas(atlas):
        org = session.get(Org, row["code"])
        if org is None:
            org = Org(**row, from_plan=True)
            session.add(org)
            session.flush()
        elif (org.name, org.kind, org.parent, org.from_plan) != (row["name"], row["kind"], row["parent"], True):
            org.name, org.kind, org.parent, org.from_plan = row["name"], row["kind"], row["parent"], True
        else:
            continue
        changed.append(org)
    if changed:
        regions = _regions(session)
        for org in changed:
            _publish_org(session, org, now, regions.get(org.code))


def reseed(session: Session, atlas: Atlas, now: dt.datetime) -> int:
    """Upsert the organisations of (changed) plans; returns how many they name."""
    seed_orgs(session, atlas, now)
    session.commit()
    return session.scalar(select(func.count()).select_from(Org).where(Org.from_plan.is_(True)))


def list_orgs(session: Session, kind: str | None = None, within: list[str] | None = None) -> list[dict]:
    query = select(Org).order_by(Org.code)
    if kind:
        query = query.where(Org.kind == kind)
    if within is not None:
        query = query.where(Org.code.in_(within))
    regions = _regions(session)
    return [OrgView.of(o, regions.get(o.code)).model_dump() for o in session.scalars(query)]


def list_orgs_under(session: Session, root: str, kind: str | None = None) -> list[dict]:
    """``root`` and every organisation below it (what a caller's token covers)."""
    parents = dict(session.execute(select(Org.code, Org.parent)).all())
    if root not in parents:
        raise NotFound(f"no organisation {root!r}")
    return list_orgs(session, kind, within=domain.subtree(parents, root))


def get_org(session: Session, code: str) -> dict | None:
    org = session.get(Org, code)
    return OrgView.of(org, _region(session, code)).model_dump() if org else None


def register_org(session: Session, registration: dict, now: dt.datetime) -> dict:
    """Register a town, village or extra body; the parent must exist and be of the right kind."""
    try:
        reg = domain.OrgRegistration.model_validate(registration)
    except ValidationError as exc:
        raise invalid(exc) from None
    if session.get(Org, reg.code) is not None:
        raise BadRequest.of("code", "exists", f"organisation {reg.code!r} already exists; choose another code")
    kinds = domain.expected_parent_kinds(reg.kind)
    candidates = list(session.scalars(select(Org.code).where(Org.kind.in_(kinds)).order_by(Org.code).limit(2)))
    if reg.parent is None and len(candidates) > 1:
        raise BadRequest.of("parent", "parent_required", f"several organisations can hold a {reg.kind} "
                            f"({', '.join(candidates)} …): name its parent (e.g. --parent {candidates[0]})")
    parent_code = reg.parent or (candidates[0] if candidates else None)
    parent = session.get(Org, parent_code) if parent_code else None
    if parent is None or parent.kind not in kinds:
        raise BadRequest.of("parent", "invalid_parent", f"{parent_code!r} is not a valid parent for a {reg.kind} "
                            f"(expected one of kinds {sorted(kinds)})")
    org = Org(code=reg.code, name=reg.name, kind=reg.kind, parent=parent.code, is_example=reg.is_example)
    session.add(org)
    session.flush()
    region = _region(session, org.code)
    _publish_org(session, org, now, region)
    session.commit()
    return OrgView.of(org, region).model_dump()


def issue_token(session: Session, org_code: str, token_hash: str, label: str, role: str, expires: str | None,
                now: dt.datetime) -> dict:
    """Record a bearer token for a department system, given its sha256: the operator's command
    made the token and shows it; organisations never sees it, so no reply on the bus carries it.

    ``role``: reporter (writes and reads its own data), viewer (reads it), admin (the 科协
    operators: reads everything, corrects or retracts any activity). ``expires``: 90d, 12h, 2w
    or a date; none means until revoked.
    """
    _require_org(session, org_code)
    if not domain.is_token_hash(token_hash):
        raise BadRequest.of("token_hash", "invalid", "give the token's sha256 as 64 lowercase hex digits, never "
                            "the token (libs.common.access.token_hash)")
    if role not in ROLES:
        raise BadRequest.of("role", "unknown_role", f"{role!r} is not a role; choose one of {', '.join(ROLES)}")
    try:
        expires_at = domain.parse_expiry(expires, now)
    except ValueError as exc:
        raise BadRequest.of("expires", "invalid", str(exc)) from None
    if session.scalar(select(ApiToken.id).where(ApiToken.token_hash == token_hash)) is not None:
        raise BadRequest.of("token_hash", "exists", "this token was issued before; make a new one")
    record = ApiToken(token_hash=token_hash, org=org_code, label=label, role=role, expires_at=expires_at)
    session.add(record)
    session.commit()
    return TokenView.of(record).model_dump()


def list_tokens(session: Session, org: str | None = None) -> list[dict]:
    query = select(ApiToken).order_by(ApiToken.id)
    if org:
        query = query.where(ApiToken.org == org)
    return [TokenView.of(t).model_dump() for t in session.scalars(query)]


def revoke_token(session: Session, token_id: int, now: dt.datetime) -> bool:
    record = session.get(ApiToken, token_id)
    if record is None or record.revoked_at is not None:
        return False
    record.revoked_at = now
    session.commit()
    return True


def authenticate(session: Session, token_hash: str, now: dt.datetime,
                 limits: domain.SessionLimits = domain.SessionLimits()) -> dict:
    """Who a bearer stands for, given its sha256: a system's token or a person's session. The
    caller (org, org_kind, name, role, token_id; for a session also account, display_name,
    session_id), or ``{"refused": why}`` (with ``"known": True`` when the bearer exists but no
    longer works: not a guess, so the gateway does not count it against the address)."""
    record = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))
    if record is None or not domain.same_hash(record.token_hash, token_hash):
        return _authenticate_session(session, token_hash, now, limits)
    if why := domain.refusal(record.revoked_at, record.expires_at, now):
        return {"refused": why, "known": True}
    org = session.get(Org, record.org)
    return {"org": org.code, "org_kind": org.kind, "name": org.name, "role": record.role, "token_id": record.id,
            "region": _region(session, org.code)}


def _authenticate_session(session: Session, token_hash: str, now: dt.datetime, limits: domain.SessionLimits) -> dict:
    found = session.execute(select(AccountSession, Account).join(Account, Account.id == AccountSession.account_id)
                            .where(AccountSession.token_hash == token_hash)).first()
    if found is None or not domain.same_hash(found[0].token_hash, token_hash):
        return {"refused": "unknown bearer token; ask the 科协 operator for one (kepu org token ORG)"}
    record, account = found
    if why := domain.session_refusal(record.ended_why, record.created_at, record.last_seen_at,
                                     account.disabled_at is not None, limits, now):
        return {"refused": why, "known": True}
    if now - record.last_seen_at >= limits.touch_every:  # not on every call: the gateway asks often
        record.last_seen_at = now
        session.commit()
    org = session.get(Org, account.org)
    return {"org": org.code, "org_kind": org.kind, "name": org.name, "role": account.role, "token_id": None,
            "region": _region(session, org.code),
            "account": account.account, "display_name": account.display_name, "session_id": record.id}


def add_channel(session: Session, org_code: str, spec: dict, now: dt.datetime) -> dict:
    """Add a channel for ORG's alert digests, sealed for notifications by the operator's command
    (``libs.common.channels.SealedChannel``); notifications learns of it by event."""
    _require_org(session, org_code)
    try:
        channel = SealedChannel.model_validate(spec)
    except ValidationError as exc:
        raise invalid(exc) from None
    record = Channel(org=org_code, **channel.model_dump(), created_at=now)
    session.add(record)
    session.flush()
    _publish_channel(session, record, now)
    session.commit()
    return ChannelView.of(record).model_dump()


def list_channels(session: Session, org: str | None = None, removed: bool = False) -> list[dict]:
    query = select(Channel).order_by(Channel.org, Channel.id)
    if org:
        query = query.where(Channel.org == org)
    if not removed:
        query = query.where(Channel.removed_at.is_(None))
    return [ChannelView.of(c).model_dump() for c in session.scalars(query)]


def remove_channel(session: Session, channel_id: int, now: dt.datetime) -> bool:
    record = session.get(Channel, channel_id)
    if record is None or record.removed_at is not None:
        return False
    record.removed_at = now
    _publish_channel(session, record, now)
    session.commit()
    return True


def republish_channels(session: Session, now: dt.datetime) -> int:
    """Send every sealed channel again (a notifications database made afresh learns them all)."""
    count = _republish_channels(session, now)
    session.commit()
    return count


def _republish_channels(session: Session, now: dt.datetime) -> int:
    records = list(session.scalars(select(Channel).where(Channel.sealed_target.is_not(None)).order_by(Channel.id)))
    for record in records:
        _publish_channel(session, record, now)
    return len(records)


def seal_clear_channels(session: Session, public_key: str, now: dt.datetime) -> int:
    """Seal the channels kept in clear from before sealing, with notifications' public key (which
    the operator's command fetched and passed on: a public key, so no secret crosses the bus), and
    send them sealed. Returns how many were sealed."""
    try:
        public_key_of(public_key)
    except ValueError as exc:
        raise BadRequest.of("public_key", "invalid", str(exc)) from None
    records = list(session.scalars(select(Channel).where(Channel.sealed_target.is_(None)).order_by(Channel.id)))
    for record in records:
        spec = ChannelSpec.model_construct(kind=record.kind, target=record.clear_target or "",
                                           secret=record.clear_secret or "", label=record.label)
        sealed = sealed_channel(spec, public_key)
        record.sealed_target, record.sealed_secret = sealed.sealed_target, sealed.sealed_secret
        record.target_shown, record.secret_shown = sealed.target_shown, sealed.secret_shown
        record.clear_target = record.clear_secret = None
        _publish_channel(session, record, now)
    session.commit()
    return len(records)


def clear_channels(session: Session) -> int:
    """How many channels still wait in clear for ``kepu org channel seal``."""
    return session.scalar(select(func.count()).select_from(Channel).where(Channel.sealed_target.is_(None)))


def answer_reference_requests(session: Session, requests: list[ReferenceRequested], now: dt.datetime) -> int:
    """A service with an empty copy asked for the reference data: send every organisation and
    every channel once, however many asked in this batch (the copies apply them idempotently).
    Returns how many records were sent."""
    if not requests:
        return 0
    orgs = list(session.scalars(select(Org).order_by(Org.code)))
    regions = _regions(session)
    for org in orgs:
        _publish_org(session, org, now, regions.get(org.code))
    count = len(orgs) + _republish_channels(session, now)
    session.commit()
    return count


def _require_org(session: Session, org_code: str) -> Org:
    org = session.get(Org, org_code)
    if org is None:
        raise BadRequest.of("org", "unknown_organisation",
                            f"no organisation {org_code!r}; list them with `kepu org list`")
    return org


def _regions(session: Session) -> dict[str, str]:
    """Each organisation's region (by its parents: a town's is its county)."""
    rows = session.execute(select(Org.code, Org.parent, Org.kind)).all()
    parents = {code: parent for code, parent, _ in rows}
    kinds = {code: kind for code, _, kind in rows}
    return {code: region for code in parents if (region := domain.region_of(parents, kinds, code)) is not None}


def _region(session: Session, code: str) -> str | None:
    """One organisation's region, walking up from it (a few rows, not the registry)."""
    org, seen = session.get(Org, code), set()
    while org is not None and org.code not in seen:
        if org.kind in domain.REGION_KINDS:
            return org.code
        seen.add(org.code)
        org = session.get(Org, org.parent) if org.parent else None
    return None


def _publish_org(session: Session, org: Org, now: dt.datetime, region: str | None) -> None:
    change = OrganisationChanged(code=org.code, name=org.name, kind=org.kind, parent=org.parent, region=region,
                                 from_plan=bool(org.from_plan), is_example=bool(org.is_example), changed_at=now)
    add_to_outbox(session, OutboxEvent, make_envelope("organisations", change))


def _publish_channel(session: Session, record: Channel, now: dt.datetime) -> None:
    """Stage ``record`` for notifications: sealed, or (a channel in clear from before sealing)
    only its removal, never its clear text."""
    removed = record.removed_at is not None
    if record.sealed_target is None and not removed:
        return
    change = OrgChannelChanged(channel_id=record.id, org=record.org, kind=record.kind,
                               sealed_target=record.sealed_target or "", sealed_secret=record.sealed_secret,
                               label=record.label, removed=removed, changed_at=now)
    add_to_outbox(session, OutboxEvent, make_envelope("organisations", change))


# --- people: accounts and their sessions ------------------------------------------------------

SETUP_LONGEST = dt.timedelta(days=30)  # a set-up link lying in a mailbox longer than this is a risk


@dataclass(frozen=True)
class PeoplePolicy:
    """How people sign in: the password hasher and the limits (``settings.OrganisationSettings``)."""

    passwords: Passwords
    sign_in: domain.SignInLimits = domain.SignInLimits()
    sessions: domain.SessionLimits = domain.SessionLimits()


def add_account(session: Session, org: str, account: str, display_name: str, role: str, setup_hash: str,
                setup_expires: str, now: dt.datetime) -> dict:
    """Make a person's account, without a password: the operator's command made a one-time
    set-up code and shows its link; organisations keeps only its sha256 (``setup_hash``)."""
    try:
        reg = domain.AccountRegistration(org=org, account=account, display_name=display_name, role=role)
    except ValidationError as exc:
        raise invalid(exc) from None
    _require_org(session, reg.org)
    _require_hash(setup_hash, "setup_hash")
    expires_at = _setup_expiry(setup_expires, now)
    if session.scalar(select(Account.id).where(Account.account == reg.account)) is not None:
        raise BadRequest.of("account", "exists", f"account {reg.account!r} exists already; choose another name, or "
                            f"`kepu org user reset {reg.account}` for a new set-up link")
    record = Account(org=reg.org, account=reg.account, display_name=reg.display_name, role=reg.role,
                     setup_hash=setup_hash, setup_expires_at=expires_at, created_at=now)
    session.add(record)
    session.commit()
    log.info("account %s added for %s (%s); its set-up link works until %s", record.account, record.org,
             record.role, expires_at.isoformat(timespec="minutes"))
    return AccountView.of(record).model_dump()


def reset_account(session: Session, account: str, setup_hash: str, setup_expires: str, now: dt.datetime) -> dict:
    """A new set-up code for ``account`` (a forgotten password, a lost link); the old code stops
    working, the old password keeps working until the new one is chosen."""
    record = _require_account(session, account)
    _require_hash(setup_hash, "setup_hash")
    record.setup_expires_at = _setup_expiry(setup_expires, now)
    record.setup_hash = setup_hash
    session.commit()
    log.info("account %s got a new set-up link, valid until %s", record.account,
             record.setup_expires_at.isoformat(timespec="minutes"))
    return AccountView.of(record).model_dump()


def describe_setup(session: Session, setup_hash: str, now: dt.datetime) -> dict:
    """Who a set-up code is for (the portal shows it before asking for a password); ``NotFound``
    when it is unknown, used or expired."""
    record = _account_to_set_up(session, setup_hash, now)
    return Identity.of(record, session.get(Org, record.org)).model_dump()


def complete_setup(session: Session, setup_hash: str, password: str, policy: PeoplePolicy,
                   now: dt.datetime) -> dict:
    """Set the account's password with its set-up code, which is then used up. Sessions signed
    in with an earlier password end (a reset is often because it leaked)."""
    record = _account_to_set_up(session, setup_hash, now)
    passwords.check_policy(password, record.account)
    record.password_hash = policy.passwords.hash(password)
    record.setup_hash = record.setup_expires_at = None
    ended = _end_sessions(session, [record.id], "password_changed", now)
    session.commit()
    log.info("account %s set its password (%d earlier sessions ended)", record.account, ended)
    return Identity.of(record, session.get(Org, record.org)).model_dump()


def sign_in(session: Session, account: str, password: str, address: str, session_hash: str, policy: PeoplePolicy,
            now: dt.datetime) -> dict:
    """Start a session for ``account`` if ``password`` is its password: ``{"identity",
    "idle_timeout_seconds", "session_id"}``. The gateway made the session credential and sends only
    its sha256. Refusals: ``Unauthenticated`` with one message for a wrong name or password (and
    a disabled account), ``TooManyAttempts`` after too many failures for the account or from
    the address (checked first: a right password is refused too)."""
    _require_hash(session_hash, "session_hash")
    name, where, limits = (account or "").strip().lower()[:64], domain.address_key(address), policy.sign_in
    if not name:
        raise BadRequest.of("account", "missing", "请输入账号")
    if not password:
        raise BadRequest.of("password", "missing", "请输入密码")
    since = now - limits.window
    by_account = list(session.scalars(select(SignInFailure.at).where(SignInFailure.account == name,
                                                                     SignInFailure.at > since)))
    by_address = list(session.scalars(select(SignInFailure.at).where(SignInFailure.address == where,
                                                                     SignInFailure.at > since))) if where else []
    if wait := domain.wait_before_sign_in(by_account, by_address, limits, now):
        log.info("sign-in of %r from %s refused for %.0fs: %d failures for the account and %d from the address "
                 "within %s", clip(name), where, wait.total_seconds(), len(by_account), len(by_address),
                 limits.window)
        raise TooManyAttempts(domain.too_many_attempts_message(wait))
    record = session.scalar(select(Account).where(Account.account == name)) if name else None
    matched = policy.passwords.matches(record.password_hash if record else None, password or "")
    why = ("unknown account" if record is None else "account disabled" if record.disabled_at is not None
           else "no password set yet" if record.password_hash is None else None if matched else "wrong password")
    if why is not None:
        session.add(SignInFailure(account=name, address=where, at=now))
        session.execute(delete(SignInFailure).where(SignInFailure.at <= since))
        session.commit()
        log.info("sign-in of %r from %s failed: %s", clip(name), where, why)
        raise Unauthenticated(domain.NO_PASSWORD_YET if why == "no password set yet" else domain.WRONG_CREDENTIALS)
    session.execute(delete(SignInFailure).where(SignInFailure.account == name))
    if policy.passwords.needs_rehash(record.password_hash):
        record.password_hash = policy.passwords.hash(password)
    started = AccountSession(account_id=record.id, token_hash=session_hash, created_at=now, last_seen_at=now,
                             address=where)
    session.add(started)
    session.commit()
    return {"identity": Identity.of(record, session.get(Org, record.org)).model_dump(),
            "idle_timeout_seconds": int(policy.sessions.idle.total_seconds()), "session_id": started.id}


def sign_out(session: Session, session_hash: str, now: dt.datetime) -> bool:
    """End the session whose credential has this sha256; False when there is no such open session."""
    record = session.scalar(select(AccountSession).where(AccountSession.token_hash == session_hash))
    if record is None or record.ended_at is not None:
        return False
    record.ended_at, record.ended_why = now, "signed_out"
    session.commit()
    return True


def list_accounts(session: Session, org: str | None, limits: domain.SessionLimits, now: dt.datetime) -> list[dict]:
    """Accounts (of one organisation), each with how many sessions it has open."""
    query = select(Account).order_by(Account.org, Account.account)
    if org:
        query = query.where(Account.org == org)
    counts = dict(session.execute(_active_sessions(limits, now).with_only_columns(
        AccountSession.account_id, func.count()).group_by(AccountSession.account_id)).all())
    return [AccountView.of(a, counts.get(a.id, 0)).model_dump() for a in session.scalars(query)]


def disable_account(session: Session, account: str, now: dt.datetime) -> dict:
    """The person can no longer sign in; their open sessions end at once."""
    record = _require_account(session, account)
    if record.disabled_at is None:
        record.disabled_at = now
    ended = _end_sessions(session, [record.id], "account_disabled", now)
    session.commit()
    log.info("account %s disabled; %d sessions ended", record.account, ended)
    return AccountView.of(record).model_dump()


def enable_account(session: Session, account: str, now: dt.datetime) -> dict:
    record = _require_account(session, account)
    record.disabled_at = None
    session.commit()
    log.info("account %s enabled again", record.account)
    return AccountView.of(record).model_dump()


def list_sessions(session: Session, account: str | None, org: str | None, active_only: bool,
                  limits: domain.SessionLimits, now: dt.datetime) -> list[dict]:
    """Sessions, newest first (at most 1,000): open ones only unless ``active_only`` is False."""
    query = (_active_sessions(limits, now) if active_only else
             select(AccountSession).join(Account, Account.id == AccountSession.account_id))
    query = query.add_columns(Account).order_by(AccountSession.id.desc()).limit(1000)
    if account:
        query = query.where(Account.account == account)
    if org:
        query = query.where(Account.org == org)
    return [SessionView.of(s, a, domain.session_refusal(s.ended_why, s.created_at, s.last_seen_at,
                                                         a.disabled_at is not None, limits, now) is None).model_dump()
            for s, a in session.execute(query).all()]


def end_sessions(session: Session, account: str | None, session_id: int | None, now: dt.datetime) -> int:
    """End (by an operator) one session, or every open session of an account; how many ended."""
    if session_id is not None:
        record = session.get(AccountSession, session_id)
        if record is None:
            raise NotFound(f"no session {session_id}; list them with `kepu org user sessions`")
        if account and session.get(Account, record.account_id).account != account:
            raise BadRequest.of("session_id", "other_account", f"session {session_id} is not {account!r}'s")
        ids = [record.account_id]
        query_filter = AccountSession.id == session_id
    elif account:
        ids, query_filter = [_require_account(session, account).id], None
    else:
        raise BadRequest.of("account", "missing", "name the account whose sessions end, or a session id")
    ended = _end_sessions(session, ids, "ended_by_operator", now, query_filter)
    session.commit()
    log.info("%d sessions ended by an operator (%s)", ended, f"session {session_id}" if session_id else account)
    return ended


def _active_sessions(limits: domain.SessionLimits, now: dt.datetime):
    """Sessions that still work, joined with their account (``domain.session_refusal`` in SQL)."""
    return (select(AccountSession).join(Account, Account.id == AccountSession.account_id)
            .where(AccountSession.ended_at.is_(None), Account.disabled_at.is_(None),
                   AccountSession.last_seen_at > now - limits.idle, AccountSession.created_at > now - limits.longest))


def _end_sessions(session: Session, account_ids: list[int], why: str, now: dt.datetime, only=None) -> int:
    query = update(AccountSession).where(AccountSession.account_id.in_(account_ids),
                                         AccountSession.ended_at.is_(None))
    if only is not None:
        query = query.where(only)
    return session.execute(query.values(ended_at=now, ended_why=why)).rowcount


def _account_to_set_up(session: Session, setup_hash: str, now: dt.datetime) -> Account:
    record = session.scalar(select(Account).where(Account.setup_hash == setup_hash)) \
        if domain.is_token_hash(setup_hash) else None
    if record is None or not domain.setup_usable(record.setup_expires_at, record.disabled_at is not None, now):
        raise NotFound(domain.SETUP_INVALID)
    return record


def _require_account(session: Session, account: str) -> Account:
    record = session.scalar(select(Account).where(Account.account == account))
    if record is None:
        raise NotFound(f"no account {clip(account)!r}; list them with `kepu org user list`")
    return record


def _require_hash(value: str, field: str) -> None:
    if not domain.is_token_hash(value):
        raise BadRequest.of(field, "invalid", "give the sha256 as 64 lowercase hex digits, never the secret itself "
                            "(libs.common.access.token_hash)")


def _setup_expiry(text: str, now: dt.datetime) -> dt.datetime:
    try:
        expires_at = domain.parse_expiry(text, now)
    except ValueError as exc:
        raise BadRequest.of("setup_expires", "invalid", str(exc)) from None
    if expires_at is None:
        raise BadRequest.of("setup_expires", "missing", "say how long the set-up link works (72h, 7d)")
    if expires_at - now > SETUP_LONGEST:
        raise BadRequest.of("setup_expires", "too_long", f"a set-up link works at most {SETUP_LONGEST.days} days")
    return expires_at
