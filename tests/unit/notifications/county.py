"""A notifications database on SQLite in memory, the fictional plan, and a clock that moves only
when told: what the use-case tests drive (no broker, milliseconds)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

from nacl.public import PrivateKey
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from libs.common.events import Envelope, IndicatorStatusChanged, make_envelope
from libs.common.plan import load_plan
from libs.common.plan.atlas import atlas_of
from libs.common.settings import REPO_ROOT
from services.notifications import app
from services.notifications.keys import ChannelKey
from services.notifications.models import Base, Digest
from services.notifications.settings import AlertRoute, NotificationSettings

FICTIONAL = load_plan(REPO_ROOT / "tests" / "plans" / "fictional-county.yaml")
ASSOCIATION, LIBRARY, GOVERNMENT = "qinglan-science-association", "qinglan-library", "qinglan-gov"
OFFICE = GOVERNMENT  # the fictional plan names no leading-group office: its government stands in
BOOTHS = "star-night-booths"  # yearly, 个
UTC = dt.timezone.utc
KEY = ChannelKey(PrivateKey.generate())  # notifications' key in these tests: channels arrive sealed for it
MONDAY_10 = dt.datetime(2025, 10, 13, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
MINUTE, HOUR, DAY = dt.timedelta(minutes=1), dt.timedelta(hours=1), dt.timedelta(days=1)
_sequence = itertools.count(1)
_indicators = {i.code: i for i in FICTIONAL.all_indicators()}


def change(indicator: str = BOOTHS, status: str = "lagging", window: str = "2025", actual: float = 4,
           responsible: tuple[str, ...] = (ASSOCIATION,), as_of: dt.date = dt.date(2025, 10, 13),
           sequence: int | None = None) -> Envelope:
    """A status change of a window of the fictional plan (unknown codes are named by their code)."""
    known = _indicators.get(indicator)
    return make_envelope("indicators", IndicatorStatusChanged(
        indicator=indicator, indicator_name=known.name if known else indicator, window=window, scope="qinglan",
        previous=None, status=status, actual=actual, expected=7.5, target=10, unit=known.unit if known else "个",
        as_of=as_of, responsible=list(responsible), sequence=next(_sequence) if sequence is None else sequence))


def settings(hours: str = "09:00-18:00", routes: tuple[AlertRoute, ...] = (), **more) -> NotificationSettings:
    """The defaults, written out so that no KEPU_* variable of the environment changes a test."""
    return NotificationSettings(**{
        "alert_timezone": "Asia/Shanghai", "alert_working_hours": hours, "alert_working_days": "1-5",
        "alert_group_wait": 60, "alert_group_interval": 600, "alert_repeat_interval": 7 * 86400,
        "alert_lookback_days": 90, "alert_routes": list(routes), "alertmanager_url": "", **more})


class County:
    """A notifications database and a clock that only moves when told."""

    def __init__(self, hours: str = "09:00-18:00", routes: tuple[AlertRoute, ...] = (), office: str | None = OFFICE,
                 **more):
        engine = create_engine("sqlite://")
        Base.metadata.create_all(engine)
        self.session = Session(engine)
        self.now = MONDAY_10
        self.rules = dataclasses.replace(app.Rules.of(atlas_of([FICTIONAL]), settings(hours, routes, **more)),
                                         offices={FICTIONAL.meta.region.code: office} if office else {})

    def feed(self, *envelopes: Envelope) -> list[app.Transition]:
        return app.apply_status_changes(self.session, list(envelopes), self.rules, self.now)

    def round(self, after: dt.timedelta = dt.timedelta(0)) -> dict[str, Digest]:
        """Digests made by a round ``after`` from now, by recipient ("history" for the summary)."""
        self.now += after
        made = app.run_round(self.session, self.rules, self.now)
        assert len({d.org for d in made if d.kind != "history"}) == len([d for d in made if d.kind != "history"])
        return {d.org if d.kind != "history" else "history": d for d in made}
