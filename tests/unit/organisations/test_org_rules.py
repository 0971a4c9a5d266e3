"""Organisation rules: the plan seeds the hierarchy, tokens are stored as hashes only."""
from __future__ import annotations

import hashlib

from libs.common.plan import load_plan
from libs.common.settings import REPO_ROOT
from services.organisations.domain import expected_parent_kinds, hash_token, new_token, orgs_from_plan

PLAN = load_plan(REPO_ROOT / "plans" / "dangshan-2021-2025.yaml")


def test_plan_seeds_region_and_every_named_org():
    rows = {r["code"]: r for r in orgs_from_plan(PLAN)}
    assert rows["dangshan"]["kind"] == "county" and rows["dangshan"]["parent"] is None
    assert rows["cast"]["name"] == "县科协"
    assert rows["towns"]["kind"] == "town_category"
    assert len(rows) == len(PLAN.organisations) + 1
    assert all(r["parent"] for code, r in rows.items() if code != "dangshan")


def test_tokens_are_random_and_only_their_hash_is_kept():
    token, stored = new_token()
    other, _ = new_token()
    assert token != other and token.startswith("kepu_") and len(token) > 40
    assert stored == hash_token(token) == hashlib.sha256(token.encode()).hexdigest()


def test_towns_go_under_the_town_category():
    assert expected_parent_kinds("town") == {"town_category"}
    assert expected_parent_kinds("village") == {"town"}
