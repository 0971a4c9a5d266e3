"""`kepu indicators rebuild` on the real broker: the store rebuilt from the activities' history
equals what was counted incrementally, and what arrives during the rebuild is not lost."""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from sqlalchemy import create_engine, delete, select, update
from sqlalchemy.orm import Session

from libs.common.plan.atlas import load_atlas
from libs.common.rpc import ClusterRpcProxy
from services.activities.models import Activity
from services.activities.repository import event_of
from services.indicators.domain import counting
from services.indicators.models import ContributionRow, WindowState
from services.indicators.service import IndicatorsService
from tests.interface.helpers import wait_until
from tests.interface.test_activities import caller, knows_the_organisations, start_services

TYPES = ("caravan_tour", "science_week", "national_science_day", "rural_outreach")
ORGS = ("cast", "agriculture", "health")


def expected_figures(settings) -> dict[tuple[str, str, str], float]:
    """What every flow window should hold, computed from the activities' own table with the
    domain's counting rule: an oracle independent of the indicators' store."""
    atlas = load_atlas(settings.plan_file)
    engine = create_engine(settings.database_url("activities"))
    sums: dict[tuple[str, str, str], float] = defaultdict(float)
    try:
        with Session(engine) as session:
            for activity in session.query(Activity):
                for c in counting.contributions(atlas, event_of(activity)):
                    plan = atlas.plan_at(c.region, activity.start_date)
                    if plan.indicator(c.indicator).kind != "stock":
                        sums[(c.indicator, c.window, c.scope)] += c.value
    finally:
        engine.dispose()
    return dict(sums)


def counted_figures(settings) -> dict[tuple[str, str, str], float]:
    engine = create_engine(settings.database_url("indicators"))
    try:
        with engine.connect() as conn:
            return {(i, w, s): a for i, w, s, a in conn.execute(
                select(WindowState.indicator, WindowState.window, WindowState.scope, WindowState.actual))}
    finally:
        engine.dispose()


def agrees(settings) -> bool:
    want, got = expected_figures(settings), counted_figures(settings)
    return all(abs(got.get(key, 0.0) - value) < 1e-6 for key, value in want.items()) and all(
        abs(value) < 1e-6 for key, value in got.items() if key not in want and key[2] != "dangshan")


def random_report(rng: random.Random, i: int) -> dict:
    day = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(540))
    return {"activity_type": rng.choice(TYPES), "start_date": day.isoformat(), "external_id": f"r-{i}",
            "town": rng.choice(["town-a", "town-b", None]),
            "quantities": {"sessions": rng.randrange(1, 5), "participants": rng.randrange(10, 500)}}


def test_a_rebuild_equals_the_incremental_count_and_misses_nothing_during_it(container_factory, settings):
    rng = random.Random(7)
    config = start_services(container_factory, settings, towns=("town-a", "town-b"))
    container_factory(IndicatorsService, config).start()
    with ClusterRpcProxy(config, timeout=60) as rpc:
        wait_until(lambda: knows_the_organisations(rpc.activities, ("town-a", "town-b")))
        stored = []
        for org in ORGS:
            for start in range(0, 1000, 500):
                result = rpc.activities.record_activities(
                    caller(org), [random_report(rng, i) for i in range(start, start + 500)])
                stored += [(org, r["activity"]) for r in result["results"]]
        rng.shuffle(stored)
        for org, a in stored[:300]:  # corrections: new figures, sometimes another type or year
            rpc.activities.correct_activity(caller(org), a["activity_id"], 1, random_report(rng, 0) | {
                "external_id": a["external_id"]}, "corrected figures")
        for org, a in stored[300:500]:
            rpc.activities.retract_activity(caller(org), a["activity_id"], 1, "reported twice")
        wait_until(lambda: agrees(settings), timeout=120, interval=1)

        # the live store drifts (a restore from an old backup, a bug now fixed): the rebuild mends it
        engine = create_engine(settings.database_url("indicators"))
        with engine.begin() as conn:
            conn.execute(delete(ContributionRow).where(ContributionRow.scope == "org:cast"))
            conn.execute(update(WindowState).values(actual=WindowState.actual + 1000))
        engine.dispose()
        assert not agrees(settings)

        run = rpc.indicators.rebuild_begin()
        for org, a in stored[500:550]:  # reports keep coming while the rebuild fills its store
            rpc.activities.correct_activity(caller(org), a["activity_id"], 1, random_report(rng, 0) | {
                "external_id": a["external_id"]}, "late correction")
        assert rpc.activities.replay_activities(run) == 3000
        wait_until(lambda: rpc.indicators.rebuild_status(run)["state"] == "switched", timeout=120, interval=0.5)
        wait_until(lambda: agrees(settings), timeout=60, interval=1)
        status = rpc.indicators.rebuild_status(run)
        assert status["expected"] == 3000 and status["finished_at"]

