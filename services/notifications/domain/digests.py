"""When a recipient gets a digest and what it says (no bus, no database, no clock of its own).

Prometheus Alertmanager's model, per recipient organisation: news (an alert opened, changed
status or recovered) waits ``group_wait`` for more news, then goes out as one digest; later
news waits at least ``group_interval`` after the last digest; alerts still firing with no news
are sent again after ``repeat_interval`` as a reminder. Digests go out in working hours only.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from services.notifications.domain import messages

DigestKind = Literal["news", "reminder"]
SECTION_ORDER = {name: i for i, (name, _) in enumerate(messages.SECTIONS)}


@dataclass(frozen=True)
class Timing:
    group_wait: dt.timedelta
    group_interval: dt.timedelta
    repeat_interval: dt.timedelta

    @classmethod
    def of_seconds(cls, group_wait: float, group_interval: float, repeat_interval: float) -> "Timing":
        return cls(dt.timedelta(seconds=group_wait), dt.timedelta(seconds=group_interval),
                   dt.timedelta(seconds=repeat_interval))


def due(pending_since: dt.datetime | None, last_sent_at: dt.datetime | None, has_news: bool, has_firing: bool,
        now: dt.datetime, timing: Timing) -> DigestKind | None:
    """Whether a recipient's digest is due now, and of which kind."""
    if has_news:
        if pending_since is not None and now < pending_since + timing.group_wait:
            return None
        if last_sent_at is not None and now < last_sent_at + timing.group_interval:
            return None
        return "news"
    if has_firing and last_sent_at is not None and now >= last_sent_at + timing.repeat_interval:
        return "reminder"
    return None


# What makes a firing alert news again: lagging and at_risk are one level (a window swinging
# across the slack day by day must not send a digest each time); missed is worse; a reporting
# reminder that became overdue (or a campaign whose season ended) is news too.
LEVEL = {"missed": "missed", "overdue": "overdue", "missing_campaign": "missed"}


def is_news(state: str, status: str, told: tuple[str, str] | None) -> bool:
    """A firing alert is news until the recipient was told it at this level; a resolved one is
    news if the recipient was last told it fired (resolved before anyone was told: quiet)."""
    if state == "firing":
        return told is None or told[0] != "firing" or LEVEL.get(status, "behind") != LEVEL.get(told[1], "behind")
    return told is not None and told[0] == "firing"


@dataclass(frozen=True)
class SilenceRule:
    """Matches alerts by id, indicator and recipient organisation (None: any). The indicator may
    name a topic of duties instead (``reporting``, ``campaign``): every alert of it."""

    id: int
    alert_id: int | None
    indicator: str | None
    org: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime

    def mutes(self, alert_id: int, indicator: str, org: str, now: dt.datetime, topic: str = "indicator") -> bool:
        return (self.starts_at <= now < self.ends_at and self.alert_id in (None, alert_id)
                and self.indicator in (None, indicator, topic) and self.org in (None, org))


def silenced(rules: Iterable[SilenceRule], alert_id: int, indicator: str, org: str, now: dt.datetime,
             topic: str = "indicator") -> bool:
    return any(rule.mutes(alert_id, indicator, org, now, topic) for rule in rules)


def ordered(items: Sequence[dict]) -> list[dict]:
    """Sections in order (new, still firing, recovered), each newest change first."""
    by_time = sorted(items, key=lambda item: item["changed_at"] or "", reverse=True)
    return sorted(by_time, key=lambda item: SECTION_ORDER[item["section"]])


class StoredAlert(messages.Figures, messages.Duty, Protocol):
    """What the digest rules read of an alert as stored."""

    id: int
    indicator: str
    scope: str
    state: str
    severity: str
    recipients: list[str]
    historical: bool
    opened_at: dt.datetime | None
    changed_at: dt.datetime | None
    resolved_at: dt.datetime | None
    scope_name: str


class Told(Protocol):
    """What a recipient was last told of an alert (its receipt)."""

    state: str
    status: str


def entries(org: str, alerts: Iterable[StoredAlert], told: Mapping[tuple[int, str], Told],
            rules: Iterable[SilenceRule], now: dt.datetime) -> list[tuple[StoredAlert, bool]]:
    """The alerts ``org``'s digest lists now, each with whether it is news to ``org``: those
    firing, and those that recovered since ``org`` was told; none silenced, none history."""
    out = []
    for alert in alerts:
        if alert.historical or silenced(rules, alert.id, alert.indicator, org, now, alert.topic):
            continue
        receipt = told.get((alert.id, org))
        news = is_news(alert.state, alert.status, (receipt.state, receipt.status) if receipt else None)
        if org not in alert.recipients and not (news and alert.state == "resolved"):
            continue  # no longer addressed to org (plan or routes changed): only its recovery, once
        if alert.state == "firing" or news:
            out.append((alert, news))
    return out


def item(alert: StoredAlert, section: str, reader: str | None = None,
         whole: Mapping[str, bool] | None = None) -> dict:
    """One alert in a digest as it stood, with its line of text (stored with the digest, so every
    channel and every retry sends the same words). Another organisation's duty, as ``reader``
    (the office) reads it, is ``listed`` under a heading with the others in the same state.
    ``whole``: indicator code → whether its figures are whole (``Plan.figures_whole``)."""
    out = {
        "alert_id": alert.id, "indicator": alert.indicator, "indicator_name": alert.indicator_name,
        "window": alert.window, "scope": alert.scope, "state": alert.state, "status": alert.status,
        "severity": alert.severity, "actual": alert.actual, "expected": alert.expected, "target": alert.target,
        "unit": alert.unit, "as_of": alert.as_of.isoformat() if alert.as_of else None,
        "opened_at": alert.opened_at.isoformat() if alert.opened_at else None,
        "changed_at": alert.changed_at.isoformat() if alert.changed_at else None,
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "responsible": list(alert.recipients), "section": section, "topic": alert.topic,
    }
    if alert.topic == "indicator":
        recovered, whole_ = alert.state == "resolved", (whole or {}).get(alert.indicator)
        return out | {"text": messages.alert_text(alert, recovered, whole_)}
    out |= {"due": alert.due.isoformat() if alert.due else None, "days_left": alert.days_left,
            "scope_name": alert.scope_name or alert.scope, "text": messages.duty_text(alert)}
    if reader is not None and reader != alert.scope:
        out |= {"listed": messages.duty_heading(alert), "text": f"{out['scope_name']}：{out['text']}"}
    return out


def news_items(entries_: Iterable[tuple[StoredAlert, bool]], reader: str | None = None,
               whole: Mapping[str, bool] | None = None) -> list[dict]:
    """A news or reminder digest's items: recovered, new or still firing, in section order."""
    return ordered([item(a, "resolved" if a.state == "resolved" else "new" if news else "firing", reader, whole)
                    for a, news in entries_])


# a history flood comes in several batches: summarised once it has been quiet this long, so it is one summary
HISTORY_QUIET = dt.timedelta(seconds=15)


def history_settled(latest_change: dt.datetime, now: dt.datetime, timing: Timing) -> bool:
    """Whether windows turned history have stopped arriving for long enough to summarise them."""
    return now >= latest_change + max(timing.group_wait, HISTORY_QUIET)
