"""Organisation rules: the plan seeds the hierarchy, tokens are made by the operator's command and
organisations records only their hashes."""
from __future__ import annotations

import hashlib

from libs.cli.orgs import new_token
from libs.common.access import token_hash as hash_token
from libs.common.plan import load_plan
from libs.common.settings import REPO_ROOT
from services.organisations.domain import expected_parent_kinds, is_token_hash, orgs_from_plan

PLAN = load_plan(REPO_ROOT / "plans" / "dangshan-2021-2025.yaml")


def test_plan_seeds_region_and_every_named_org():
    rows = {r["code"]: r for r in orgs_from_plan(PLAN)}
    assert rows["dangshan"]["kind"] == "county" and rows["dangshan"]["parent"] is None
    assert rows["cast"]["name"] == "县科协"
    assert rows["towns"]["kind"] == "town_category"
    assert len(rows) == len(PLAN.organisations) + 1
    assert all(r["parent"] for code, r in rows.items() if code != "dangshan")


def test_tokens_are_random_and_only_their_hash_is_recorded():
    token, other = new_token(), new_token()
    assert token != other and token.startswith("kepu_") and len(token) > 40
    assert is_token_hash(hash_token(token)) and hash_token(token) == hashlib.sha256(token.encode()).hexdigest()
    assert not is_token_hash(token) and not is_token_hash(hash_token(token).upper()) and not is_token_hash("")


def test_towns_go_under_the_town_category():
    assert expected_parent_kinds("town") == {"town_category"}
    assert expected_parent_kinds("village") == {"town"}


def test_token_expiry_reads_durations_and_dates():
    import datetime as dt

    import pytest

    from services.organisations.domain import parse_expiry, refusal

    now = dt.datetime(2024, 6, 30, 12, tzinfo=dt.timezone.utc)
    assert parse_expiry("90d", now) == now + dt.timedelta(days=90)
    assert parse_expiry("12h", now) == now + dt.timedelta(hours=12)
    assert parse_expiry("2024-07-01", now) == dt.datetime(2024, 7, 2, tzinfo=dt.timezone.utc)
    assert parse_expiry(None, now) is None
    for bad in ("0d", "soon", "2024-06-01"):
        with pytest.raises(ValueError):
            parse_expiry(bad, now)
    assert "expired" in refusal(None, now - dt.timedelta(seconds=1), now)
    assert refusal(None, now + dt.timedelta(seconds=1), now) is None
    assert "revoked" in refusal(now, None, now)


def test_a_subtree_holds_the_root_and_everything_below():
    from services.organisations.domain import subtree

    parents = {"county": None, "towns": "county", "town-a": "towns", "village": "town-a", "edu": "county"}
    assert subtree(parents, "town-a") == ["town-a", "village"]
    assert subtree(parents, "county") == sorted(parents)
