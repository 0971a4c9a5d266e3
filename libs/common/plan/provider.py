"""Gives nameko services the plans loaded from ``KEPU_PLAN_FILE`` (a file or a directory;
reloadable), as an :class:`~libs.common.plan.atlas.Atlas`."""
from __future__ import annotations

import datetime as dt
import logging

from nameko.extensions import DependencyProvider

from libs.common.plan.atlas import Atlas, chosen_plan, load_atlas
from libs.common.plan.schema import Plan
from libs.common.rpc import rpc
from libs.common.settings import settings_from_config

log = logging.getLogger(__name__)


class PlanHolder:
    """The current atlas; ``reload()`` swaps it atomically after the new files validate."""

    def __init__(self, path):
        self.path = path
        self.atlas: Atlas = load_atlas(path)

    def reload(self) -> Atlas:
        self.atlas = load_atlas(self.path)
        log.info("reloaded plans %s from %s", ", ".join(p.meta.code for p in self.atlas.all_plans()), self.path)
        return self.atlas


class PlanProvider(DependencyProvider):
    def setup(self) -> None:
        self.holder = PlanHolder(settings_from_config(self.container.config).plan_file)

    def get_dependency(self, worker_ctx) -> PlanHolder:
        return self.holder


def plan_document(atlas: Atlas, plan: Plan) -> dict:
    """A plan with its derived tracking indicators, and where it stands: its region's place in the
    tree and the region's plans in succession (the gateway's GetPlan)."""
    region = plan.meta.region.code
    return {**plan.model_dump(mode="json", exclude={"indicators"}),
            "indicators": [{**i.model_dump(mode="json"), "tracking": i.tracking} for i in plan.all_indicators()],
            "succession": [{"code": p.meta.code, "title": p.meta.title, "start": p.meta.period.start,
                            "end": p.meta.period.end} for p in atlas.plans_of(region)],
            "children": [{"code": c, "name": atlas.region(c).name, "level": atlas.region(c).level}
                         for c in atlas.children(region)],
            "ancestors": atlas.ancestors(region)}


class PlanMixin:
    """Gives a service the plans and the ``reload_plan`` RPC (services that derive state from
    the plans override it to act on the new ones)."""

    plan: PlanHolder = PlanProvider()

    @rpc
    def plan_document(self, region: str | None = None, year: int | None = None) -> dict:
        """The plan ``region`` works to in ``year`` (defaults: the top region, this year or the
        nearest year of a plan), with the derived tracking indicators (the gateway's GetPlan)."""
        atlas = self.plan.atlas
        return plan_document(atlas, chosen_plan(atlas, _today(self), region, year))

    @rpc
    def reload_plan(self):
        """Read the plan files again; files that do not validate leave the old plans in place."""
        return ", ".join(p.meta.code for p in self.plan.reload().all_plans())


def _today(service) -> dt.date:
    """The service's clock if it has one (``ClockMixin``), else the county's calendar day."""
    clock = getattr(service, "clock", None)
    return clock.today() if clock is not None else dt.date.today()
