"""notifications' channel key: what the operator's command seals only this key opens; the key
file is made once, owner-only; a copy kept in clear from before sealing is sealed at start."""
from __future__ import annotations

import stat

import pytest
from nacl.encoding import Base64Encoder
from nacl.public import PrivateKey
from sqlalchemy import select

from libs.common.channels import ChannelSpec, seal, sealed_channel
from services.notifications import app
from services.notifications.domain.deliveries import ChannelGone, Target
from services.notifications.keys import ChannelKey
from services.notifications.models import Channel
from tests.unit.notifications.county import ASSOCIATION, KEY, MINUTE, County, change

ROBOT = "https://oapi.dingtalk.com/robot/send?access_token=9f3c1e0b7a4d4c2e8b6a5f0d1c2b3a49"
SIGNING = "SEC8d0f7c2b1a9e4d3c5b6a7f8e9d0c1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8"


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_what_is_sealed_with_the_public_key_opens_only_with_its_private_key():
    sealed = sealed_channel(ChannelSpec(kind="dingtalk", target=ROBOT, secret=SIGNING), KEY.public_key)
    assert ROBOT not in sealed.model_dump_json() and SIGNING not in sealed.model_dump_json()
    assert "9f3c1e0b7a4d" not in sealed.model_dump_json()  # the robot key, not even in the masked form
    assert (KEY.open(sealed.sealed_target), KEY.open(sealed.sealed_secret)) == (ROBOT, SIGNING)
    assert sealed.target_shown.startswith("https://oapi.dingtalk.com/robot/send?access_token=9f3c…")
    assert seal(KEY.public_key, ROBOT) != seal(KEY.public_key, ROBOT)  # a one-time key each time
    assert KEY.open("") == "" and seal(KEY.public_key, "") == ""
    other = ChannelKey(PrivateKey.generate())
    with pytest.raises(ChannelGone, match="another key"):
        other.open(sealed.sealed_target)


def test_the_key_file_is_made_once_owner_only_and_kept(tmp_path):
    key_file = tmp_path / "keys" / "notifications-channels.key"
    first = ChannelKey.load("", key_file)
    assert mode(key_file) == 0o600 and mode(key_file.parent) == 0o700
    assert ChannelKey.load("", key_file).public_key == first.public_key  # the next start, or a replica
    assert list(key_file.parent.iterdir()) == [key_file]  # no scratch file left behind
    key_file.chmod(0o644)
    assert ChannelKey.load("", key_file).public_key == first.public_key and mode(key_file) == 0o600


def test_a_key_given_in_the_setting_is_used_and_no_file_is_made(tmp_path):
    private = PrivateKey.generate()
    key = ChannelKey.load(private.encode(Base64Encoder).decode(), tmp_path / "keys" / "k")
    assert key.public_key == private.public_key.encode(Base64Encoder).decode()
    assert not (tmp_path / "keys").exists()
    with pytest.raises(ValueError, match="KEPU_CHANNEL_PRIVATE_KEY"):
        ChannelKey.load("not a key", tmp_path / "k")


def test_a_copy_kept_in_clear_from_before_sealing_is_sealed_at_start_and_still_delivers():
    county = County()
    county.session.add(Channel(id=7, org=ASSOCIATION, kind="dingtalk", clear_target=ROBOT, clear_secret=SIGNING,
                               sealed_target=None, label="", removed=False, changed_at=county.now))
    county.session.commit()
    assert app.seal_stored_channels(county.session, KEY.seal) == 1
    assert app.seal_stored_channels(county.session, KEY.seal) == 0  # the next start finds nothing in clear
    (row,) = county.session.scalars(select(Channel))
    assert (row.clear_target, row.clear_secret) == (None, None)
    assert ROBOT not in row.sealed_target and SIGNING not in row.sealed_secret
    county.feed(change())
    county.round(after=MINUTE)
    ids = app.claim_deliveries(county.session, county.now, "w1", 10)
    (job,) = [j for j in (app.load_job(county.session, i) for i in ids) if j.channel_key == "channel-7"]
    assert app.target_of(county.session, job, "", KEY.open) == Target("dingtalk", ROBOT, SIGNING)
