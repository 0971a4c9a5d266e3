"""An injectable clock: status depends on 'today', so demos, backfills and tests set it."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from nameko.extensions import DependencyProvider
from nameko.timer import Timer

from libs.common.errors import BadRequest
from libs.common.rpc import rpc
from libs.common.settings import settings_from_config


class Clock:
    """Returns the frozen date when one is given, else today's date.

    A frozen clock (demos, backfills, tests) can be moved with ``set``; a calendar clock
    cannot, so a live system is never judged as of a date someone typed.
    """

    def __init__(self, as_of: dt.date | None = None, zone: str = "Asia/Shanghai"):
        self.as_of = as_of
        self.zone = ZoneInfo(zone)

    @property
    def frozen(self) -> bool:
        return self.as_of is not None

    def set(self, as_of: dt.date) -> None:
        if not self.frozen:
            raise ValueError("the clock follows the calendar; start the system with --as-of (KEPU_AS_OF) "
                             "to set the date")
        self.as_of = as_of

    def today(self) -> dt.date:
        """The county's date (not the server's: a report made at 07:00 in Beijing is dated that day
        even on a host that keeps UTC)."""
        return self.as_of or dt.datetime.now(self.zone).date()

    def now(self) -> dt.datetime:
        """The moment (UTC) as the clock sees it: the real one, or on a frozen date the real time
        of day on that date (a period submitted "now" on a demo date is submitted on that date)."""
        real = dt.datetime.now(self.zone)
        moment = real if self.as_of is None else dt.datetime.combine(self.as_of, real.timetz())
        return moment.astimezone(dt.timezone.utc)

    def moment(self, text: str) -> dt.datetime:
        """The moment (UTC) a caller names: an ISO 8601 time (without an offset: the county's time),
        or a day, meaning its end in the county (what was known on 2025-06-30 includes its evening).
        ValueError for anything else."""
        if len(text.strip()) == len("2025-06-30"):
            moment = dt.datetime.combine(dt.date.fromisoformat(text.strip()), dt.time.max, self.zone)
        else:
            moment = dt.datetime.fromisoformat(text.strip())
        return (moment if moment.tzinfo else moment.replace(tzinfo=self.zone)).astimezone(dt.timezone.utc)

    def day_of(self, moment: dt.datetime) -> dt.date:
        """The county's date at ``moment``."""
        return moment.astimezone(self.zone).date()


class ClockProvider(DependencyProvider):
    """Injects the service's clock, frozen when ``KEPU_AS_OF`` is set."""

    def setup(self) -> None:
        settings = settings_from_config(self.container.config)
        self.clock = Clock(settings.as_of, settings.timezone)

    def get_dependency(self, worker_ctx) -> Clock:
        return self.clock


class ClockMixin:
    """Gives a service its clock and the ``set_clock`` RPC (frozen clocks only)."""

    clock: Clock = ClockProvider()

    @rpc
    def today(self) -> str:
        """The date this service judges by (a frozen clock's, or the calendar's)."""
        return self.clock.today().isoformat()

    @rpc
    def set_clock(self, as_of: str) -> str:
        try:
            self.clock.set(dt.date.fromisoformat(as_of))
        except ValueError as exc:
            raise BadRequest.of("as_of", "invalid", str(exc)) from None
        return as_of


class ClockTimer(Timer):
    """A timer for what changes with the date alone (indicators' pace, activities' reporting
    duties), every ``KEPU_EVALUATE_INTERVAL`` seconds and once at start."""

    def __init__(self, **kwargs):
        super().__init__(interval=60.0, eager=True, **kwargs)

    def setup(self):
        self.interval = settings_from_config(self.container.config).evaluate_interval
        super().setup()
