"""nameko service ``organisations``: the org hierarchy and the tokens departments report with."""
from __future__ import annotations

import datetime as dt

from nameko.exceptions import BadRequest
from nameko.rpc import rpc
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from libs.common.access import ROLES
from libs.common.db import Database
from libs.common.errors import NotFound, invalid
from libs.common.health import HealthMixin
from libs.common.metrics import MetricsEndpoint
from libs.common.plan import Plan, load_plan
from libs.common.plan.provider import PlanMixin
from services.organisations import domain
from services.organisations.models import ApiToken, Base, Org


def seed_orgs(session: Session, plan: Plan) -> None:
    """Upsert the region and every organisation the plan names (names may be corrected)."""
    for row in domain.orgs_from_plan(plan):
        org = session.get(Org, row["code"])
        if org is None:
            session.add(Org(**row, from_plan=True))
            session.flush()
        else:
            org.name, org.kind, org.from_plan = row["name"], row["kind"], True


def _org_dict(org: Org) -> dict:
    return {"code": org.code, "name": org.name, "kind": org.kind, "parent": org.parent,
            "from_plan": org.from_plan, "is_example": org.is_example}


class OrganisationsService(HealthMixin, PlanMixin):
    name = "organisations"

    db: Session = Database(Base, "organisations",
                           on_open=lambda session, settings: seed_orgs(session, load_plan(settings.plan_file)))
    metrics = MetricsEndpoint("organisations")

    @rpc
    def reload_plan(self) -> int:
        """Upsert the organisations of the (changed) plan file; returns how many it names."""
        seed_orgs(self.db, self.plan.reload())
        self.db.commit()
        return self.db.scalar(select(func.count()).select_from(Org).where(Org.from_plan.is_(True)))

    @rpc
    def list_orgs(self, kind: str | None = None) -> list[dict]:
        query = select(Org).order_by(Org.code)
        if kind:
            query = query.where(Org.kind == kind)
        return [_org_dict(o) for o in self.db.scalars(query)]

    @rpc
    def get_org(self, code: str) -> dict | None:
        org = self.db.get(Org, code)
        return _org_dict(org) if org else None

    @rpc
    def org_kinds(self, codes: list[str]) -> dict[str, str]:
        """The kind of each named organisation that exists (others are left out)."""
        return dict(self.db.execute(select(Org.code, Org.kind).where(Org.code.in_(codes))).all())

    @rpc
    def register_org(self, registration: dict) -> dict:
        """Register a town, village or extra body; the parent must exist and be of the right kind."""
        try:
            reg = domain.OrgRegistration.model_validate(registration)
        except ValidationError as exc:
            raise invalid(exc) from None
        if self.db.get(Org, reg.code) is not None:
            raise BadRequest(f"code: organisation {reg.code!r} already exists; choose another code")
        parent_code = reg.parent or self._default_parent(reg.kind)
        parent = self.db.get(Org, parent_code) if parent_code else None
        if parent is None or parent.kind not in domain.expected_parent_kinds(reg.kind):
            raise BadRequest(
                f"parent: {parent_code!r} is not a valid parent for a {reg.kind} "
                f"(expected one of kinds {sorted(domain.expected_parent_kinds(reg.kind))})"
            )
        org = Org(code=reg.code, name=reg.name, kind=reg.kind, parent=parent.code, is_example=reg.is_example)
        self.db.add(org)
        self.db.commit()
        return _org_dict(org)

    def _default_parent(self, kind: str) -> str | None:
        kinds = domain.expected_parent_kinds(kind)
        return self.db.scalar(select(Org.code).where(Org.kind.in_(kinds)).order_by(Org.code).limit(1))

    @rpc
    def list_orgs_under(self, root: str, kind: str | None = None) -> list[dict]:
        """``root`` and every organisation below it (what a caller's token covers)."""
        parents = dict(self.db.execute(select(Org.code, Org.parent)).all())
        if root not in parents:
            raise NotFound(f"no organisation {root!r}")
        query = select(Org).where(Org.code.in_(domain.subtree(parents, root))).order_by(Org.code)
        if kind:
            query = query.where(Org.kind == kind)
        return [_org_dict(o) for o in self.db.scalars(query)]

    @rpc
    def issue_token(self, org_code: str, label: str = "", role: str = "reporter", expires: str | None = None) -> dict:
        """Issue a bearer token for a department system; the plain token is returned only now.

        ``role``: reporter (writes and reads its own data), viewer (reads it), admin (the 科协
        operators: reads everything, corrects or retracts any activity). ``expires``: 90d, 12h,
        2w or a date; none means until revoked.
        """
        if self.db.get(Org, org_code) is None:
            raise BadRequest(f"org: no organisation {org_code!r}; list them with `kepu org list`")
        if role not in ROLES:
            raise BadRequest(f"role: {role!r} is not a role; choose one of {', '.join(ROLES)}")
        now = dt.datetime.now(dt.timezone.utc)
        try:
            expires_at = domain.parse_expiry(expires, now)
        except ValueError as exc:
            raise BadRequest(f"expires: {exc}") from None
        token, token_hash = domain.new_token()
        record = ApiToken(token_hash=token_hash, org=org_code, label=label, role=role, expires_at=expires_at)
        self.db.add(record)
        self.db.commit()
        return {"token": token, **_token_dict(record)}

    @rpc
    def list_tokens(self, org: str | None = None) -> list[dict]:
        """Every token (never the secret, which is not stored): org, role, label, expiry, revocation."""
        query = select(ApiToken).order_by(ApiToken.id)
        if org:
            query = query.where(ApiToken.org == org)
        return [_token_dict(t) for t in self.db.scalars(query)]

    @rpc
    def revoke_token(self, token_id: int) -> bool:
        record = self.db.get(ApiToken, token_id)
        if record is None or record.revoked_at is not None:
            return False
        record.revoked_at = dt.datetime.now(dt.timezone.utc)
        self.db.commit()
        return True

    @rpc
    def authenticate(self, token_hash: str) -> dict:
        """Who a token stands for, given its sha256 (the gateway never sends the token itself).

        Returns the caller (org, org_kind, role, token_id, name) or ``{"refused": why}``.
        """
        record = self.db.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))
        if record is None or not domain.same_hash(record.token_hash, token_hash):
            return {"refused": "unknown bearer token; ask the 科协 operator for one (kepu org token ORG)"}
        if why := domain.refusal(record.revoked_at, record.expires_at, dt.datetime.now(dt.timezone.utc)):
            return {"refused": why}
        org = self.db.get(Org, record.org)
        return {"org": org.code, "org_kind": org.kind, "name": org.name, "role": record.role, "token_id": record.id}


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _token_dict(t: ApiToken) -> dict:
    return {"token_id": t.id, "org": t.org, "role": t.role, "label": t.label, "created_at": _iso(t.created_at),
            "expires_at": _iso(t.expires_at), "revoked_at": _iso(t.revoked_at)}
