"""Callers of each kind and role, for the tables of access rules (activities' and the gateway's)."""
from __future__ import annotations

from libs.common.access import Caller

DEPT = Caller(org="edu", org_kind="department", role="reporter", token_id=1)
VIEWER = Caller(org="edu", org_kind="department", role="viewer", token_id=2)
ADMIN = Caller(org="leading-group-office", org_kind="office", role="admin", token_id=3)
TOWN = Caller(org="town-a", org_kind="town", role="reporter", token_id=4)
