"""nameko service ``organisations``: the org hierarchy and the tokens departments report with."""
from __future__ import annotations

import datetime as dt

from nameko.exceptions import BadRequest
from nameko.rpc import rpc
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from libs.common.db import Database
from libs.common.errors import invalid
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
    def issue_token(self, org_code: str, label: str = "") -> dict:
        """Issue a bearer token for a department system; the plain token is returned only now."""
        if self.db.get(Org, org_code) is None:
            raise BadRequest(f"org: no organisation {org_code!r}; list them with `kepu org list`")
        token, token_hash = domain.new_token()
        record = ApiToken(token_hash=token_hash, org=org_code, label=label)
        self.db.add(record)
        self.db.commit()
        return {"token": token, "token_id": record.id, "org": org_code}

    @rpc
    def revoke_token(self, token_id: int) -> bool:
        record = self.db.get(ApiToken, token_id)
        if record is None or record.revoked_at is not None:
            return False
        record.revoked_at = dt.datetime.now(dt.timezone.utc)
        self.db.commit()
        return True

    @rpc
    def authenticate(self, token: str) -> dict | None:
        """The organisation a bearer token belongs to, or None if unknown or revoked."""
        record = self.db.scalar(select(ApiToken).where(ApiToken.token_hash == domain.hash_token(token)))
        if record is None or record.revoked_at is not None:
            return None
        return _org_dict(self.db.get(Org, record.org))
