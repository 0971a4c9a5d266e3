"""The organisations use cases on an in-memory SQLite unit of work (no broker, milliseconds)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from libs.cli.orgs import new_token
from libs.common.access import token_hash
from libs.common.errors import BadRequest
from services.organisations import app
from tests.unit.organisations.conftest import NOW


def issue(session: Session, org: str, label: str, role: str, expires: str | None) -> tuple[str, dict]:
    """As the operator's command does: the token made here, organisations given its hash."""
    token = new_token()
    return token, app.issue_token(session, org, token_hash(token), label, role, expires, NOW)


def test_a_token_authenticates_until_it_expires_or_is_revoked(session):
    token, issued = issue(session, "edu", "dashboard", "viewer", "1h")
    who = app.authenticate(session, token_hash(token), NOW)
    assert (who["org"], who["org_kind"], who["role"], who["token_id"]) == ("edu", "department", "viewer",
                                                                           issued["token_id"])
    later = app.authenticate(session, token_hash(token), NOW + dt.timedelta(hours=2))
    assert "expired" in later["refused"]
    other, recorded = issue(session, "cast", "", "reporter", None)
    assert app.revoke_token(session, recorded["token_id"], NOW) is True
    assert app.revoke_token(session, recorded["token_id"], NOW) is False
    assert "revoked" in app.authenticate(session, token_hash(other), NOW)["refused"]
    assert "unknown" in app.authenticate(session, token_hash("kepu_nothing"), NOW)["refused"]


def test_organisations_records_a_token_by_its_hash_and_never_answers_with_a_token(session):
    token, issued = issue(session, "edu", "x", "admin", "2024-12-31")
    assert "token" not in issued and token not in str(issued)
    (listed,) = app.list_tokens(session, "edu")
    assert listed["role"] == "admin" and listed["expires_at"].startswith("2025-01-01T00:00:00")
    assert token not in str(listed)


@pytest.mark.parametrize("given", ["kepu_" + "x" * 43, "ABCDEF" * 10 + "ABCD", "", "0" * 63])
def test_anything_but_a_sha256_is_refused_where_the_hash_belongs(session, given):
    with pytest.raises(BadRequest) as info:
        app.issue_token(session, "edu", given, "", "reporter", None, NOW)
    assert [v.field for v in info.value.violations] == ["token_hash"]
    assert app.list_tokens(session, "edu") == []


def test_one_token_is_recorded_once(session):
    token, _ = issue(session, "edu", "", "reporter", None)
    with pytest.raises(BadRequest, match="token_hash"):
        app.issue_token(session, "cast", token_hash(token), "", "reporter", None, NOW)


def test_towns_and_villages_form_the_subtree_a_town_token_covers(session):
    app.register_org(session, {"code": "town-a", "name": "甲镇", "kind": "town"}, NOW)
    app.register_org(session, {"code": "village-a", "name": "甲村", "kind": "village", "parent": "town-a"}, NOW)
    assert [o["code"] for o in app.list_orgs_under(session, "town-a")] == ["town-a", "village-a"]
    assert [o["code"] for o in app.list_orgs_under(session, "towns", "village")] == ["village-a"]
    with pytest.raises(BadRequest, match="^parent:"):
        app.register_org(session, {"code": "village-b", "name": "乙村", "kind": "village", "parent": "edu"}, NOW)
