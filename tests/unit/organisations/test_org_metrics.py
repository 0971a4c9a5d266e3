"""kepu_organisation_info names each organisation's region (tests/plans/regions: a fictional city over
two fictional counties), so a dashboard lists one region's units and towns: a unit as its plan names
it, a town registered later by its parents, a region's own row as itself."""
from __future__ import annotations

import datetime as dt

from prometheus_client import REGISTRY
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from libs.common.plan.atlas import load_atlas
from libs.common.settings import REPO_ROOT
from services.organisations import app
from services.organisations.metrics import publish_orgs
from services.organisations.models import Base

NOW = dt.datetime(2026, 10, 20, 3, tzinfo=dt.timezone.utc)


def regions_of_info() -> dict[str, str]:
    """org → the region its info series names."""
    return {s.labels["org"]: s.labels["region"] for metric in REGISTRY.collect()
            if metric.name == "kepu_organisation_info" for s in metric.samples}


def test_each_organisation_s_info_series_names_its_own_region():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        app.seed_orgs(session, load_atlas(REPO_ROOT / "tests" / "plans" / "regions"), NOW)
        for code, parent in (("qinghe-town-1", "qinghe-towns"), ("baisha-town-1", "baisha-towns")):
            app.register_org(session, {"code": code, "name": code, "kind": "town", "parent": parent}, NOW)
        publish_orgs(app.list_orgs(session))
    regions = regions_of_info()
    assert {org: regions[org] for org in ("qinghe-cast", "qinghe-town-1", "baisha-edu", "baisha-town-1",
                                          "xiyun-cast", "qinghe", "xiyun")} == {
        "qinghe-cast": "qinghe", "qinghe-town-1": "qinghe", "baisha-edu": "baisha", "baisha-town-1": "baisha",
        "xiyun-cast": "xiyun", "qinghe": "qinghe", "xiyun": "xiyun"}
