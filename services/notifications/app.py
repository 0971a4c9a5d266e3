"""Use cases of the notifications service: status changes become alerts, alerts become digests
for their recipients, digests become deliveries (one per channel).

Plain functions over a SQLAlchemy session and an injected ``now``; the service commits.
Replicas consume status changes side by side, so changes of one window may arrive out of
order: each carries the window's ``sequence``, and one older than what was seen is skipped.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from libs.common.events import Envelope, IndicatorStatusChanged, OrgChannelChanged
from libs.common.processed import mark_new
from libs.common.schedule import WorkingHours
from libs.common.settings import AlertRoute
from services.notifications import digests, domain, messages
from services.notifications.models import (
    Alert,
    Channel,
    Delivery,
    Digest,
    DigestGroup,
    Monitoring,
    ProcessedEvent,
    Receipt,
    Silence,
    WindowSeen,
)


@dataclass(frozen=True)
class Policy:
    """Who hears of an alert and which windows are history (from the plan and settings)."""

    office: str | None
    routes: list[AlertRoute] = field(default_factory=list)
    lookback_days: int = 90


@dataclass(frozen=True)
class Transition:
    action: domain.Action
    change: IndicatorStatusChanged
    recipients: list[str]
    historical: bool


def apply_changes(session: Session, envelopes: list[Envelope], policy: Policy, now: dt.datetime) -> list[Transition]:
    """Apply status-change events in order; events seen before or older than the window's last are
    skipped. Returns what happened to alerts (opened, updated, resolved)."""
    new = mark_new(session, ProcessedEvent, [e.event_id for e in envelopes])
    out = []
    for envelope in envelopes:
        if envelope.event_id not in new:
            continue
        new.discard(envelope.event_id)  # the same event twice in one batch counts once
        change = envelope.typed_payload()
        if not _newest(session, change):
            continue
        if (transition := _apply(session, change, policy, now)) is not None:
            out.append(transition)
    return out


def monitoring_since(session: Session, first_as_of: dt.date) -> dt.date:
    """The date monitoring began: the first status change's, recorded once."""
    mark = session.get(Monitoring, 1)
    if mark is None:
        mark = Monitoring(id=1, since=first_as_of)
        session.add(mark)
        session.flush()
    return mark.since


def _newest(session: Session, change: IndicatorStatusChanged) -> bool:
    """Record the window's sequence; False if a later change of this window was applied already."""
    if not change.sequence:  # from an indicators service before sequences: order of arrival
        return True
    key = (change.indicator, change.window, change.scope)
    mark = session.get(WindowSeen, key)
    if mark is None:
        session.add(WindowSeen(indicator=key[0], window=key[1], scope=key[2], sequence=change.sequence))
        return True
    if mark.sequence >= change.sequence:
        return False
    mark.sequence = change.sequence
    return True


def _apply(session: Session, change: IndicatorStatusChanged, policy: Policy, now: dt.datetime) -> Transition | None:
    alert = session.scalar(select(Alert).where(
        Alert.indicator == change.indicator, Alert.window == change.window, Alert.scope == change.scope))
    action = domain.decide(alert.state if alert else None, change)
    if action == "ignore":
        return None
    if action == "open" and alert is None:
        since = monitoring_since(session, change.as_of)
        alert = Alert(indicator=change.indicator, window=change.window, scope=change.scope, times_opened=1,
                      opened_at=now, historical=domain.is_history(change.window, change.as_of, since,
                                                                   policy.lookback_days))
        session.add(alert)
    elif action == "open":
        alert.times_opened += 1
        alert.resolved_at = None
    if alert.status != change.status or action != "update":
        alert.changed_at = now
    alert.severity = domain.severity(change.status, alert.status)
    alert.indicator_name, alert.status = change.indicator_name, change.status
    alert.actual, alert.expected, alert.target = change.actual, change.expected, change.target
    alert.unit, alert.as_of, alert.kind = change.unit, change.as_of, change.kind
    alert.recipients = domain.recipients(change, policy.office, policy.routes, alert.severity)
    alert.state = "resolved" if action == "resolve" else "firing"
    if action == "resolve":
        alert.resolved_at = now
    return Transition(action, change, alert.recipients, bool(alert.historical))


def apply_channel(session: Session, change: OrgChannelChanged) -> None:
    """Keep the copy of an organisation's channel; an older change arriving late is ignored."""
    row = session.get(Channel, change.channel_id)
    if row is not None and row.changed_at > change.changed_at:
        return
    if row is None:
        row = Channel(id=change.channel_id)
        session.add(row)
    row.org, row.kind, row.target, row.secret, row.label = (change.org, change.kind, change.target, change.secret,
                                                            change.label)
    row.removed, row.changed_at = change.removed, change.changed_at


# --- digest rounds --------------------------------------------------------------------------

@dataclass(frozen=True)
class Round:
    """What a digest round needs besides the database: timing, working hours, the office, names,
    and the channels every digest also goes to (the log; a site-wide Alertmanager)."""

    timing: digests.Timing
    hours: WorkingHours
    office: str | None
    names: dict[str, str]
    site_channels: tuple[tuple[str, str], ...] = (("log", "log"),)  # (channel_key, kind)
    lookback_days: int = 90


def run_round(session: Session, now: dt.datetime, ctx: Round) -> list[Digest]:
    """Compose every digest due now, with its deliveries and the recipients' receipts, in the
    caller's transaction (hold ``serialise(…, "alerts")`` so replicas take turns)."""
    alerts = list(session.scalars(select(Alert).order_by(Alert.id)))
    rules = [digests.SilenceRule(s.id, s.alert_id, s.indicator, s.org, s.starts_at, s.ends_at)
             for s in session.scalars(select(Silence).where(Silence.ends_at > now))]
    told = {(r.alert_id, r.org): r for r in session.scalars(select(Receipt))}
    groups = {(g.org, g.kind): g for g in session.scalars(select(DigestGroup))}
    _age_out(alerts, now, ctx.lookback_days)
    made = []
    orgs = sorted({org for a in alerts if not a.historical for org in a.recipients}
                  | {org for org, kind in groups if kind == "alerts"})
    for org in orgs:
        group = groups.get((org, "alerts")) or _new_group(session, groups, org, "alerts")
        entries = []
        for alert in alerts:
            if alert.historical or digests.silenced(rules, alert.id, alert.indicator, org, now):
                continue
            receipt = told.get((alert.id, org))
            news = digests.is_news(alert.state, alert.status, (receipt.state, receipt.status) if receipt else None)
            if org not in alert.recipients and not (news and alert.state == "resolved"):
                continue  # no longer addressed to org (plan or routes changed): only its recovery, once
            if alert.state == "firing" or news:
                entries.append((alert, news))
        has_news = any(news for _, news in entries)
        has_firing = any(a.state == "firing" for a, _ in entries)
        if has_news and group.pending_since is None:  # the group wait runs from the first news
            group.pending_since = min((a.changed_at or now for a, news in entries if news), default=now)
        elif not has_news:
            group.pending_since = None
        kind = digests.due(group.pending_since, group.last_sent_at, has_news, has_firing, now, ctx.timing)
        if kind is None or not ctx.hours.is_open(now):
            continue
        digest = _compose(session, group, kind, entries, now, ctx)
        for alert, _ in entries:
            receipt = told.get((alert.id, org))
            if receipt is None:
                receipt = told[(alert.id, org)] = Receipt(alert_id=alert.id, org=org)
                session.add(receipt)
            receipt.state, receipt.status, receipt.digest_id = alert.state, alert.status, digest.id
        made.append(digest)
    if (history := _history_digest(session, alerts, groups, now, ctx)) is not None:
        made.append(history)
    return made


def _age_out(alerts: list[Alert], now: dt.datetime, lookback_days: int) -> None:
    """A firing window that closed longer than the look-back ago (a ``missed`` one never
    recovers) stops being reminded: it turns history, already told. "Today" is the latest date
    the indicators judged by (a frozen clock in demos), not the wall clock."""
    today = max((a.as_of for a in alerts if a.as_of), default=None)
    if today is None:
        return
    for alert in alerts:
        if alert.state == "firing" and not alert.historical and domain.is_history(
                alert.window, today, dt.date.min, lookback_days):
            alert.historical, alert.summarised_at = True, now


def _new_group(session: Session, groups: dict, org: str, kind: str) -> DigestGroup:
    group = groups[(org, kind)] = DigestGroup(org=org, kind=kind, sent=0)
    session.add(group)
    return group


def _item(alert: Alert, section: str) -> dict:
    return {
        "alert_id": alert.id, "indicator": alert.indicator, "indicator_name": alert.indicator_name,
        "window": alert.window, "scope": alert.scope, "state": alert.state, "status": alert.status,
        "severity": alert.severity, "actual": alert.actual, "expected": alert.expected, "target": alert.target,
        "unit": alert.unit, "as_of": alert.as_of.isoformat() if alert.as_of else None,
        "opened_at": alert.opened_at.isoformat() if alert.opened_at else None,
        "changed_at": alert.changed_at.isoformat() if alert.changed_at else None,
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "responsible": list(alert.recipients), "section": section,
        "text": messages.alert_text(alert, recovered=alert.state == "resolved"),
    }


def _compose(session: Session, group: DigestGroup, kind: str, entries: list[tuple[Alert, bool]], now: dt.datetime,
             ctx: Round) -> Digest:
    items = digests.ordered([_item(a, "resolved" if a.state == "resolved" else "new" if news else "firing")
                             for a, news in entries])
    firing = sum(1 for i in items if i["state"] == "firing")
    title = messages.digest_title(kind, ctx.names.get(group.org, group.org), firing, len(items) - firing)
    as_of = max((a.as_of for a, _ in entries if a.as_of), default=None)
    return _store_digest(session, group, kind, title, messages.digest_text(title, as_of, items), items, now, ctx)


def _store_digest(session: Session, group: DigestGroup, kind: str, title: str, text: str, items: list[dict],
                  now: dt.datetime, ctx: Round) -> Digest:
    group.sent += 1
    group.last_sent_at, group.pending_since = now, None
    digest = Digest(org=group.org, kind=kind, number=group.sent, uid=uuid.uuid4().hex[:8], title=title, text=text,
                    items=items, created_at=now)
    session.add(digest)
    session.flush()
    # a history summary is for people: pushed to no site-wide Alertmanager as dozens of alerts
    channels = [(key, kind_) for key, kind_ in ctx.site_channels if kind != "history" or kind_ == "log"]
    channels += [(f"channel-{c.id}", c.kind) for c in session.scalars(
        select(Channel).where(Channel.org == group.org, Channel.removed.is_(False)).order_by(Channel.id))]
    session.add_all(Delivery(digest_id=digest.id, org=group.org, channel_key=key, channel_kind=kind_, status="pending",
                             attempts=0, next_attempt_at=now, created_at=now) for key, kind_ in channels)
    return digest


HISTORY_QUIET = dt.timedelta(seconds=15)


def _history_digest(session: Session, alerts: list[Alert], groups: dict, now: dt.datetime, ctx: Round) -> Digest | None:
    """Windows that closed before monitoring began: one summary to the office, each window once."""
    pending = [a for a in alerts if a.historical and a.summarised_at is None and a.state == "firing"]
    if not pending:
        if (group := groups.get((ctx.office, "history"))) is not None:
            group.pending_since = None
        return None
    if ctx.office is None:  # a plan without an office: recorded and listed, nobody to summarise to
        for alert in pending:
            alert.summarised_at = now
        return None
    group = groups.get((ctx.office, "history")) or _new_group(session, groups, ctx.office, "history")
    if group.pending_since is None:
        group.pending_since = min((a.changed_at or now for a in pending), default=now)
    # a flood comes in several batches: wait until it has been quiet a while, so it is one summary
    latest = max((a.changed_at or now for a in pending), default=now)
    if now < latest + max(ctx.timing.group_wait, HISTORY_QUIET) or not ctx.hours.is_open(now):
        return None
    items = [_item(a, "firing") for a in sorted(pending, key=lambda a: (a.window, a.indicator, a.scope))]
    since = session.get(Monitoring, 1).since
    title = messages.history_title(len(items), since)
    for alert in pending:
        alert.summarised_at = now
    return _store_digest(session, group, "history", title, messages.history_text(title, items, ctx.names), items,
                         now, ctx)


# --- silences --------------------------------------------------------------------------------

def add_silence(session: Session, spec: dict, now: dt.datetime) -> Silence:
    """Silence an alert, an indicator's alerts or an organisation's digests until ``ends_at``."""
    silence = Silence(alert_id=spec.get("alert_id"), indicator=spec.get("indicator"), org=spec.get("org"),
                      reason=spec["reason"], created_by=spec["created_by"], starts_at=now,
                      ends_at=spec["ends_at"])
    session.add(silence)
    session.flush()
    return silence


def expire_silence(session: Session, silence_id: int, now: dt.datetime) -> bool:
    silence = session.get(Silence, silence_id)
    if silence is None or silence.ends_at <= now:
        return False
    silence.ends_at = now
    return True
