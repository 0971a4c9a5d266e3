"""The plan as data: schema, loader and the derived views the services need."""
from libs.common.plan.loader import PlanError, load_plan
from libs.common.plan.schema import Indicator, Plan

__all__ = ["Indicator", "Plan", "PlanError", "load_plan"]
