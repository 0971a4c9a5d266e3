"""Gives nameko services the plan loaded from ``KEPU_PLAN_FILE`` (reloadable)."""
from __future__ import annotations

import logging

from nameko.extensions import DependencyProvider

from libs.common.plan.loader import load_plan
from libs.common.plan.schema import Plan
from libs.common.settings import settings_from_config

log = logging.getLogger(__name__)


class PlanHolder:
    """The current plan; ``reload()`` swaps it atomically after the new file validates."""

    def __init__(self, path):
        self.path = path
        self.plan: Plan = load_plan(path)

    def reload(self) -> Plan:
        self.plan = load_plan(self.path)
        log.info("reloaded plan %s from %s", self.plan.plan.code, self.path)
        return self.plan


class PlanProvider(DependencyProvider):
    def setup(self) -> None:
        self.holder = PlanHolder(settings_from_config(self.container.config).plan_file)

    def get_dependency(self, worker_ctx) -> PlanHolder:
        return self.holder
