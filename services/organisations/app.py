"""Use cases of the organisations service: the hierarchy, towns, and the tokens systems use.

Plain functions over a SQLAlchemy session (the unit of work); the service wires them to RPC.
"""
from __future__ import annotations

import datetime as dt
import logging

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from libs.common.access import ROLES
from libs.common.channels import ChannelSpec, SealedChannel, public_key_of, sealed_channel
from libs.common.errors import BadRequest, NotFound, invalid
from libs.common.events import OrganisationChanged, OrgChannelChanged, ReferenceRequested, make_envelope
from libs.common.outbox import add_to_outbox
from libs.common.plan import Plan
from services.organisations import domain
from services.organisations.models import ApiToken, Channel, Org, OutboxEvent
from services.organisations.schemas import ChannelView, OrgView, TokenView

log = logging.getLogger(__name__)


def start(session: Session, plan: Plan, now: dt.datetime) -> None:
    """At start-up: seed the plan's organisations, and say if channels from before sealing wait in clear."""
    seed_orgs(session, plan, now)
    if waiting := clear_channels(session):
        log.warning("%d notification channels from before sealing are kept in clear and not sent to "
                    "notifications: seal them with `kepu org channel seal`", waiting)


def seed_orgs(session: Session, plan: Plan, now: dt.datetime) -> None:
    """Upsert the region and every organisation the plan names (names may be corrected); those
    new or changed are published (``organisation_changed``)."""
    for row in domain.orgs_from_plan(plan):
        org = session.get(Org, row["code"])
        if org is None:
            org = Org(**row, from_plan=True)
            session.add(org)
            session.flush()
        elif (org.name, org.kind, org.from_plan) != (row["name"], row["kind"], True):
            org.name, org.kind, org.from_plan = row["name"], row["kind"], True
        else:
            continue
        _publish_org(session, org, now)


def reseed(session: Session, plan: Plan, now: dt.datetime) -> int:
    """Upsert the organisations of a (changed) plan; returns how many it names."""
    seed_orgs(session, plan, now)
    session.commit()
    return session.scalar(select(func.count()).select_from(Org).where(Org.from_plan.is_(True)))


def list_orgs(session: Session, kind: str | None = None, within: list[str] | None = None) -> list[dict]:
    query = select(Org).order_by(Org.code)
    if kind:
        query = query.where(Org.kind == kind)
    if within is not None:
        query = query.where(Org.code.in_(within))
    return [OrgView.of(o).model_dump() for o in session.scalars(query)]


def list_orgs_under(session: Session, root: str, kind: str | None = None) -> list[dict]:
    """``root`` and every organisation below it (what a caller's token covers)."""
    parents = dict(session.execute(select(Org.code, Org.parent)).all())
    if root not in parents:
        raise NotFound(f"no organisation {root!r}")
    return list_orgs(session, kind, within=domain.subtree(parents, root))


def get_org(session: Session, code: str) -> dict | None:
    org = session.get(Org, code)
    return OrgView.of(org).model_dump() if org else None


def register_org(session: Session, registration: dict, now: dt.datetime) -> dict:
    """Register a town, village or extra body; the parent must exist and be of the right kind."""
    try:
        reg = domain.OrgRegistration.model_validate(registration)
    except ValidationError as exc:
        raise invalid(exc) from None
    if session.get(Org, reg.code) is not None:
        raise BadRequest.of("code", "exists", f"organisation {reg.code!r} already exists; choose another code")
    kinds = domain.expected_parent_kinds(reg.kind)
    parent_code = reg.parent or session.scalar(select(Org.code).where(Org.kind.in_(kinds)).order_by(Org.code).limit(1))
    parent = session.get(Org, parent_code) if parent_code else None
    if parent is None or parent.kind not in kinds:
        raise BadRequest.of("parent", "invalid_parent", f"{parent_code!r} is not a valid parent for a {reg.kind} "
                            f"(expected one of kinds {sorted(kinds)})")
    org = Org(code=reg.code, name=reg.name, kind=reg.kind, parent=parent.code, is_example=reg.is_example)
    session.add(org)
    session.flush()
    _publish_org(session, org, now)
    session.commit()
    return OrgView.of(org).model_dump()


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


def authenticate(session: Session, token_hash: str, now: dt.datetime) -> dict:
    """Who a token stands for, given its sha256: the caller (org, org_kind, role, token_id, name)
    or ``{"refused": why}``."""
    record = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))
    if record is None or not domain.same_hash(record.token_hash, token_hash):
        return {"refused": "unknown bearer token; ask the 科协 operator for one (kepu org token ORG)"}
    if why := domain.refusal(record.revoked_at, record.expires_at, now):
        return {"refused": why}
    org = session.get(Org, record.org)
    return {"org": org.code, "org_kind": org.kind, "name": org.name, "role": record.role, "token_id": record.id}


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
    for org in orgs:
        _publish_org(session, org, now)
    count = len(orgs) + _republish_channels(session, now)
    session.commit()
    return count


def _require_org(session: Session, org_code: str) -> Org:
    org = session.get(Org, org_code)
    if org is None:
        raise BadRequest.of("org", "unknown_organisation",
                            f"no organisation {org_code!r}; list them with `kepu org list`")
    return org


def _publish_org(session: Session, org: Org, now: dt.datetime) -> None:
    change = OrganisationChanged(code=org.code, name=org.name, kind=org.kind, parent=org.parent,
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
