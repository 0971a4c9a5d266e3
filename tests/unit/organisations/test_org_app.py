"""The organisations use cases on an in-memory SQLite unit of work (no broker, milliseconds)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from libs.common.access import token_hash
from libs.common.errors import BadRequest
from libs.common.plan import load_plan
from libs.common.settings import REPO_ROOT
from services.organisations import app
from services.organisations.models import Base

NOW = dt.datetime(2024, 6, 30, 12, tzinfo=dt.timezone.utc)


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as s:
        app.seed_orgs(s, load_plan(REPO_ROOT / "plans" / "dangshan-2021-2025.yaml"), NOW)
        s.commit()
        yield s


def test_a_token_authenticates_until_it_expires_or_is_revoked(session):
    issued = app.issue_token(session, "edu", "dashboard", "viewer", "1h", NOW)
    who = app.authenticate(session, token_hash(issued["token"]), NOW)
    assert (who["org"], who["org_kind"], who["role"]) == ("edu", "department", "viewer")
    later = app.authenticate(session, token_hash(issued["token"]), NOW + dt.timedelta(hours=2))
    assert "expired" in later["refused"]
    other = app.issue_token(session, "cast", "", "reporter", None, NOW)
    assert app.revoke_token(session, other["token_id"], NOW) is True
    assert app.revoke_token(session, other["token_id"], NOW) is False
    assert "revoked" in app.authenticate(session, token_hash(other["token"]), NOW)["refused"]
    assert "unknown" in app.authenticate(session, token_hash("kepu_nothing"), NOW)["refused"]


def test_tokens_are_listed_without_their_secret(session):
    issued = app.issue_token(session, "edu", "x", "admin", "2024-12-31", NOW)
    (listed,) = app.list_tokens(session, "edu")
    assert listed["role"] == "admin" and listed["expires_at"].startswith("2025-01-01T00:00:00")
    assert issued["token"] not in str(listed)


def test_towns_and_villages_form_the_subtree_a_town_token_covers(session):
    app.register_org(session, {"code": "town-a", "name": "甲镇", "kind": "town"}, NOW)
    app.register_org(session, {"code": "village-a", "name": "甲村", "kind": "village", "parent": "town-a"}, NOW)
    assert [o["code"] for o in app.list_orgs_under(session, "town-a")] == ["town-a", "village-a"]
    assert [o["code"] for o in app.list_orgs_under(session, "towns", "village")] == ["village-a"]
    with pytest.raises(BadRequest, match="^parent:"):
        app.register_org(session, {"code": "village-b", "name": "乙村", "kind": "village", "parent": "edu"}, NOW)
