"""organisations service on the real broker: plan seeding, towns, tokens."""
from __future__ import annotations

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from libs.common.access import token_hash as hash_token
from services.organisations.service import OrganisationsService


@pytest.fixture
def rpc(container_factory, settings):
    config = settings.nameko_config()
    container_factory(OrganisationsService, config).start()
    with ClusterRpcProxy(config, timeout=10) as proxy:
        yield proxy.organisations


def test_plan_orgs_are_seeded(rpc):
    departments = {o["code"]: o for o in rpc.list_orgs("department")}
    assert departments["edu"]["name"] == "县教育局"
    assert rpc.get_org("towns")["kind"] == "town_category"
    assert rpc.get_org("dangshan")["parent"] is None


def test_register_town_under_the_town_category_and_mark_examples(rpc):
    town = rpc.register_org({"code": "demo-town-a", "name": "示例镇A", "kind": "town", "is_example": True})
    assert town["parent"] == "towns" and town["is_example"] is True
    village = rpc.register_org({"code": "demo-village", "name": "示例村", "kind": "village", "parent": "demo-town-a"})
    assert village["parent"] == "demo-town-a"


@pytest.mark.parametrize(
    ("registration", "field"),
    [
        ({"code": "Bad Code", "name": "x", "kind": "town"}, "code"),
        ({"code": "t1", "name": "", "kind": "town"}, "name"),
        ({"code": "t1", "name": "x", "kind": "planet"}, "kind"),
        ({"code": "t1", "name": "x", "kind": "village", "parent": "edu"}, "parent"),
        ({"code": "cast", "name": "x", "kind": "town"}, "code"),
    ],
)
def test_bad_registrations_name_the_field(rpc, registration, field):
    with pytest.raises(RemoteError) as info:
        rpc.register_org(registration)
    assert info.value.exc_type == "BadRequest" and info.value.value.startswith(f"{field}:"), info.value.value


def test_tokens_authenticate_their_org_until_revoked(rpc, settings):
    issued = rpc.issue_token("cast", "caravan system")
    engine = create_engine(settings.database_url("organisations"))
    with engine.connect() as conn:  # only the hash is at rest: a stolen database issues no tokens
        stored = [tuple(map(str, row)) for row in conn.execute(text("select * from api_tokens"))]
    engine.dispose()
    assert stored and not any(issued["token"] in value for row in stored for value in row)
    who = rpc.authenticate(hash_token(issued["token"]))
    assert (who["org"], who["org_kind"], who["role"], who["token_id"]) == ("cast", "body", "reporter", issued["token_id"])
    assert "unknown" in rpc.authenticate(hash_token(issued["token"] + "x"))["refused"]
    assert rpc.revoke_token(issued["token_id"]) is True
    assert "revoked" in rpc.authenticate(hash_token(issued["token"]))["refused"]
    with pytest.raises(RemoteError, match="no organisation"):
        rpc.issue_token("nobody")


def test_tokens_carry_a_role_and_an_expiry_and_are_listed_without_their_secret(rpc):
    viewer = rpc.issue_token("edu", "dashboard", "viewer", "90d")
    assert rpc.authenticate(hash_token(viewer["token"]))["role"] == "viewer"
    listed = {t["token_id"]: t for t in rpc.list_tokens("edu")}
    assert listed[viewer["token_id"]]["role"] == "viewer" and listed[viewer["token_id"]]["expires_at"]
    assert not any(viewer["token"] in str(value) for t in listed.values() for value in t.values())
    for args, field in ((("edu", "", "owner"), "role"), (("edu", "", "viewer", "soon"), "expires")):
        with pytest.raises(RemoteError) as info:
            rpc.issue_token(*args)
        assert info.value.value.startswith(f"{field}:")


def test_a_token_covers_its_organisation_and_what_lies_below(rpc):
    rpc.register_org({"code": "town-x", "name": "X镇", "kind": "town"})
    rpc.register_org({"code": "village-x", "name": "X村", "kind": "village", "parent": "town-x"})
    assert [o["code"] for o in rpc.list_orgs_under("town-x")] == ["town-x", "village-x"]
    assert [o["code"] for o in rpc.list_orgs_under("edu")] == ["edu"]
