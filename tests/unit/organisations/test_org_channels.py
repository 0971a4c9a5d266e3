"""Channels at organisations: kept and published sealed for notifications, listed by their masked
forms; channels from before sealing wait in clear, unpublished, until `kepu org channel seal`."""
from __future__ import annotations

import pytest
from nacl.encoding import Base64Encoder
from nacl.public import PrivateKey, SealedBox
from sqlalchemy import select
from sqlalchemy.orm import Session

from libs.common.channels import ChannelSpec, sealed_channel
from libs.common.errors import BadRequest
from libs.common.events import Envelope
from services.organisations import app
from services.organisations.models import Channel, OutboxEvent
from tests.unit.organisations.conftest import NOW

NOTIFICATIONS = PrivateKey.generate()  # notifications' key: organisations only ever has the public half
PUBLIC = NOTIFICATIONS.public_key.encode(Base64Encoder).decode()
ROBOT = "https://oapi.dingtalk.com/robot/send?access_token=9f3c1e0b7a4d4c2e8b6a5f0d1c2b3a49"
SIGNING = "SEC8d0f7c2b1a9e4d3c5b6a7f8e9d0c1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8"


def opened(sealed: str) -> str:
    return SealedBox(NOTIFICATIONS).decrypt(sealed.encode(), encoder=Base64Encoder).decode()


def published(session: Session) -> list[dict]:
    return [Envelope.model_validate_json(row.body).payload for row in session.scalars(select(OutboxEvent))]


def stored_text(session: Session) -> str:
    return str([tuple(row) for row in session.execute(select(Channel.__table__))])


def test_a_channel_is_kept_and_published_sealed_and_listed_masked(session):
    spec = ChannelSpec(kind="dingtalk", target=ROBOT, secret=SIGNING, label="值班群")
    added = app.add_channel(session, "cast", sealed_channel(spec, PUBLIC).model_dump(), NOW)
    assert added["target"].endswith("access_token=9f3c…(32)") and added["secret"] == "SEC8…(66)" and added["sealed"]
    (event,) = published(session)
    for text in (str(event), stored_text(session), str(app.list_channels(session))):
        assert ROBOT not in text and SIGNING not in text and "9f3c1e0b7a4d" not in text
    assert (opened(event["sealed_target"]), opened(event["sealed_secret"])) == (ROBOT, SIGNING)


@pytest.mark.parametrize(("spec", "field"), [
    ({"kind": "dingtalk", "target": ROBOT, "secret": SIGNING}, "target"),
    ({"kind": "dingtalk", "sealed_target": ROBOT, "target_shown": "x"}, "sealed_target"),
    ({"kind": "dingtalk", "sealed_target": "AAAA", "target_shown": "x"}, "sealed_target"),
])
def test_a_channel_in_clear_is_refused(session, spec, field):
    with pytest.raises(BadRequest) as info:
        app.add_channel(session, "cast", spec, NOW)
    assert field in [v.field for v in info.value.violations]
    assert app.list_channels(session) == [] and published(session) == []


def legacy_channel(session: Session) -> Channel:
    """A channel as revision 0002 leaves one added before sealing: in clear, masked forms made."""
    row = Channel(org="cast", kind="dingtalk", clear_target=ROBOT, clear_secret=SIGNING, sealed_target=None,
                  target_shown="…", secret_shown="SEC8…(66)", created_at=NOW)
    session.add(row)
    session.commit()
    return row


def test_a_channel_from_before_sealing_is_never_sent_in_clear_and_is_sealed_with_the_public_key(session):
    row = legacy_channel(session)
    assert app.clear_channels(session) == 1
    assert app.republish_channels(session, NOW) == 0 and published(session) == []
    (listed,) = app.list_channels(session)
    assert listed["sealed"] is False and SIGNING not in str(listed)

    assert app.seal_clear_channels(session, PUBLIC, NOW) == 1
    assert (row.clear_target, row.clear_secret) == (None, None) and app.clear_channels(session) == 0
    assert ROBOT not in stored_text(session) and SIGNING not in stored_text(session)
    (event,) = published(session)
    assert (opened(event["sealed_target"]), opened(event["sealed_secret"])) == (ROBOT, SIGNING)
    assert app.list_channels(session)[0]["target"].endswith("access_token=9f3c…(32)")
    assert app.seal_clear_channels(session, PUBLIC, NOW) == 0


def test_a_removed_channel_from_before_sealing_is_removed_at_notifications_without_its_target(session):
    row = legacy_channel(session)
    assert app.remove_channel(session, row.id, NOW) is True
    (event,) = published(session)
    assert (event["removed"], event["sealed_target"], event["sealed_secret"]) == (True, "", "")


def test_sealing_needs_a_public_key(session):
    legacy_channel(session)
    with pytest.raises(BadRequest) as info:
        app.seal_clear_channels(session, "not-a-key", NOW)
    assert [v.field for v in info.value.violations] == ["public_key"]
    assert app.clear_channels(session) == 1
