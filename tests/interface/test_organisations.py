"""organisations service on the real broker: plan seeding, towns, tokens."""
from __future__ import annotations

import datetime as dt

import pytest
from nacl.encoding import Base64Encoder
from nacl.public import PrivateKey
from sqlalchemy import create_engine, text

from libs.cli.orgs import issue_token, new_token
from libs.common.access import token_hash as hash_token
from libs.common.bus.topology import SUBSCRIPTIONS
from libs.common.channels import ChannelSpec, sealed_channel
from libs.common.errors import BadRequest
from libs.common.events import ORG_CHANNEL_CHANGED, ORGANISATION_CHANGED, ReferenceRequested, make_envelope
from libs.common.rpc import ClusterRpcProxy
from services.organisations.service import OrganisationsService
from tests.interface.helpers import declare, drain, drain_until, publish

TO_ACTIVITIES = next(s for s in SUBSCRIPTIONS if s.event_type == ORGANISATION_CHANGED)
TO_NOTIFICATIONS = next(s for s in SUBSCRIPTIONS if s.event_type == ORG_CHANNEL_CHANGED)


@pytest.fixture
def rpc(container_factory, settings):
    config = settings.nameko_config()
    declare(settings.amqp_uri)
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
    with pytest.raises(BadRequest) as info:
        rpc.register_org(registration)
    assert [v.field for v in info.value.violations] == [field], info.value.violations


def test_tokens_authenticate_their_org_until_revoked(rpc, settings):
    token, issued = issue_token(rpc, "cast", "caravan system")
    engine = create_engine(settings.database_url("organisations"))
    with engine.connect() as conn:  # only the hash is at rest: a stolen database issues no tokens
        stored = [tuple(map(str, row)) for row in conn.execute(text("select * from api_tokens"))]
    engine.dispose()
    assert stored and not any(token in value for row in stored for value in row)
    who = rpc.authenticate(hash_token(token))
    assert (who["org"], who["org_kind"], who["role"], who["token_id"]) == ("cast", "body", "reporter", issued["token_id"])
    assert "unknown" in rpc.authenticate(hash_token(token + "x"))["refused"]
    assert rpc.revoke_token(issued["token_id"]) is True
    assert "revoked" in rpc.authenticate(hash_token(token))["refused"]
    with pytest.raises(BadRequest, match="no organisation"):
        issue_token(rpc, "nobody")


def test_tokens_carry_a_role_and_an_expiry_and_are_listed_without_their_secret(rpc):
    token, viewer = issue_token(rpc, "edu", "dashboard", "viewer", "90d")
    assert "token" not in viewer and token not in str(viewer)  # made by the command, never in a reply
    assert rpc.authenticate(hash_token(token))["role"] == "viewer"
    listed = {t["token_id"]: t for t in rpc.list_tokens("edu")}
    assert listed[viewer["token_id"]]["role"] == "viewer" and listed[viewer["token_id"]]["expires_at"]
    assert not any(token in str(value) for t in listed.values() for value in t.values())
    for args, field in ((("edu", "", "owner"), "role"), (("edu", "", "viewer", "soon"), "expires")):
        with pytest.raises(BadRequest) as info:
            issue_token(rpc, *args)
        assert [v.field for v in info.value.violations] == [field]
    with pytest.raises(BadRequest) as info:
        rpc.issue_token("edu", new_token())  # a token where its hash belongs: refused, not stored
    assert [v.field for v in info.value.violations] == ["token_hash"]


def test_a_token_covers_its_organisation_and_what_lies_below(rpc):
    rpc.register_org({"code": "town-x", "name": "X镇", "kind": "town"})
    rpc.register_org({"code": "village-x", "name": "X村", "kind": "village", "parent": "town-x"})
    assert [o["code"] for o in rpc.list_orgs_under("town-x")] == ["town-x", "village-x"]
    assert [o["code"] for o in rpc.list_orgs_under("edu")] == ["edu"]


def codes_sent(messages: list) -> list[str]:
    return [body["payload"]["code"] for body, _ in messages]


def test_the_registry_walks_forward_as_events_and_a_snapshot_is_sent_when_asked(rpc, settings):
    """Every organisation seeded from the plan, and every one registered, is published for the
    services that keep copies; a service with an empty copy asks once and gets everything."""
    seeded = len(rpc.list_orgs())
    first = drain(settings.amqp_uri, TO_ACTIVITIES, expect=seeded, timeout=15)
    assert sorted(codes_sent(first)) == sorted(o["code"] for o in rpc.list_orgs())
    rpc.register_org({"code": "town-y", "name": "Y镇", "kind": "town"})
    (registered,) = drain(settings.amqp_uri, TO_ACTIVITIES, expect=1, timeout=15)
    assert registered[0]["payload"] | {"changed_at": None} == {
        "code": "town-y", "name": "Y镇", "kind": "town", "parent": "towns", "region": "dangshan", "from_plan": False,
        "is_example": False,
        "changed_at": None}
    rpc.add_channel("edu", sealed_channel(ChannelSpec(kind="webhook", target="http://127.0.0.1:9/hook"),
                                          PrivateKey.generate().public_key.encode(Base64Encoder).decode()).model_dump())
    drain(settings.amqp_uri, TO_NOTIFICATIONS, expect=1, timeout=15)

    asked = ReferenceRequested(service="activities", requested_at=dt.datetime.now(dt.timezone.utc))
    publish(settings.amqp_uri, make_envelope("activities", asked))
    snapshot = drain_until(settings.amqp_uri, TO_ACTIVITIES, lambda got: len(got) >= seeded + 1, timeout=15)
    assert sorted(codes_sent(snapshot)) == sorted(o["code"] for o in rpc.list_orgs())
    (channel,) = drain(settings.amqp_uri, TO_NOTIFICATIONS, expect=1, timeout=15)
    assert channel[0]["payload"]["org"] == "edu"
