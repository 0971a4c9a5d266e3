"""Gives nameko services the plan loaded from ``KEPU_PLAN_FILE`` (reloadable)."""
from __future__ import annotations

import logging

from nameko.extensions import DependencyProvider

from libs.common.plan.loader import load_plan
from libs.common.plan.schema import Plan
from libs.common.rpc import rpc
from libs.common.settings import settings_from_config

log = logging.getLogger(__name__)


class PlanHolder:
    """The current plan; ``reload()`` swaps it atomically after the new file validates."""

    def __init__(self, path):
        self.path = path
        self.current: Plan = load_plan(path)

    def reload(self) -> Plan:
        self.current = load_plan(self.path)
        log.info("reloaded plan %s from %s", self.current.meta.code, self.path)
        return self.current


class PlanProvider(DependencyProvider):
    def setup(self) -> None:
        self.holder = PlanHolder(settings_from_config(self.container.config).plan_file)

    def get_dependency(self, worker_ctx) -> PlanHolder:
        return self.holder


class PlanMixin:
    """Gives a service the plan and the ``reload_plan`` RPC (services that derive state from
    the plan override it to act on the new one)."""

    plan: PlanHolder = PlanProvider()

    @rpc
    def plan_document(self) -> dict:
        """The plan this service runs, with the derived tracking indicators (the gateway's GetPlan)."""
        plan = self.plan.current
        return {**plan.model_dump(mode="json", exclude={"indicators"}),
                "indicators": [{**i.model_dump(mode="json"), "tracking": i.tracking} for i in plan.all_indicators()]}

    @rpc
    def reload_plan(self):
        """Read the plan file again; a file that does not validate leaves the old plan in place."""
        return self.plan.reload().meta.code
