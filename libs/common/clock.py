"""An injectable clock: status depends on 'today', so demos, backfills and tests set it."""
from __future__ import annotations

import datetime as dt

from nameko.extensions import DependencyProvider

from libs.common.settings import settings_from_config


class Clock:
    """Returns the frozen date when one is given, else today's date."""

    def __init__(self, as_of: dt.date | None = None):
        self.as_of = as_of

    def today(self) -> dt.date:
        return self.as_of or dt.date.today()

    def now(self) -> dt.datetime:
        if self.as_of:
            return dt.datetime.combine(self.as_of, dt.time(12), tzinfo=dt.timezone.utc)
        return dt.datetime.now(dt.timezone.utc)


class ClockProvider(DependencyProvider):
    """Injects the service's clock, frozen when ``KEPU_AS_OF`` is set."""

    def setup(self) -> None:
        self.clock = Clock(settings_from_config(self.container.config).as_of)

    def get_dependency(self, worker_ctx) -> Clock:
        return self.clock
