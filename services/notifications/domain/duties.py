"""Alerts about reporting duties (no bus, no database): the alert a ``reporting_duty_changed`` is
about, who hears of it, how loud, and which are history.

One alert per organisation and duty: a reminder that becomes overdue is the same alert changing
(news again, one line), not a second one. A reminder goes to the organisation alone; an overdue
report or a missing campaign also to the office, whose digest lists who is late in one line.
"""
from __future__ import annotations

from libs.common.events import ReportingDutyChanged
from libs.common.plan import Plan
from services.notifications.domain.alerts import Action
from services.notifications.settings import AlertRoute

REPORTING, CAMPAIGN = "reporting", "campaign"  # alert topics; "reporting" is also the periods' key
TOPICS = (REPORTING, CAMPAIGN)
SEVERITY = {"reminder": "info", "overdue": "warning", "missing_campaign": "warning"}
ESCALATED = frozenset({"overdue", "missing_campaign"})  # the office hears of these


def topic(change: ReportingDutyChanged) -> str:
    return CAMPAIGN if change.campaign else REPORTING


def indicator_key(change: ReportingDutyChanged) -> str:
    """What stands in the alert's indicator: ``reporting`` for every period's report, so that one
    silence holds all of them; ``campaign:<type>`` for a campaign (``campaign`` holds them all)."""
    return f"{CAMPAIGN}:{change.campaign}" if change.campaign else REPORTING


def key(change: ReportingDutyChanged) -> tuple[str, str, str]:
    """(indicator, window, scope) of the duty's alert: one per organisation and period (or year)."""
    return indicator_key(change), change.period, change.org


def silence_keys(plan: Plan) -> frozenset[str]:
    """What a silence's ``indicator`` may name besides the plan's indicators: each topic (all of its
    alerts) and each seasonal campaign."""
    return frozenset({*TOPICS, *(f"{CAMPAIGN}:{t.code}" for t in plan.activity_types if t.season)})


def decide(current_state: str | None, change: ReportingDutyChanged) -> Action:
    """``current_state`` is the alert's state (None if there is none yet)."""
    if change.state != "resolved":
        return "update" if current_state == "firing" else "open"
    return "resolve" if current_state == "firing" else "ignore"


def recipients(change: ReportingDutyChanged, office: str | None, routes: list[AlertRoute] = ()) -> list[str]:
    """The organisation; once late, also the office and whoever a route names for the duty's key
    or topic (``{"indicator": "reporting", "to": [...]}``) at its severity."""
    out = [change.org]
    if change.state not in ESCALATED:
        return out
    if office and office not in out:
        out.append(office)
    keys = {None, indicator_key(change), topic(change)}
    for route in routes:
        if route.indicator in keys and route.severity in (None, SEVERITY[change.state]):
            out.extend(org for org in route.to if org not in out)
    return out

