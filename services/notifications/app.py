"""Use cases of the notifications service: status changes become alerts, alerts become digests
for their recipients, digests become deliveries (one per channel) that a worker sends, and a
database made afresh asks organisations for its channels.

Each use case takes the session as its unit of work and ends it: this module is the one place
that commits. The clock (``now``) and the ``Rules`` (from the plan and the settings) are
arguments, so tests run every use case in milliseconds on SQLite in memory. Replicas consume
status changes side by side, so changes of one window may arrive out of order: each carries the
window's ``sequence``, and one older than what was seen is skipped.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from libs.common.errors import BadRequest, Violation, invalid
from libs.common.events import (
    Envelope,
    IndicatorStatusChanged,
    OrgChannelChanged,
    ReferenceRequested,
    ReportingDutyChanged,
    make_envelope,
)
from libs.common.plan.atlas import Atlas
from libs.common.wording import region_word
from services.notifications import repository
from services.notifications.domain import alerts as rules_of_alerts
from services.notifications.domain import digests, duties, messages
from services.notifications.domain.deliveries import (
    ERROR_CHARS,
    Attachment,
    ChannelGone,
    Job,
    Outcome,
    RetryPolicy,
    Target,
    delivery_key,
)
from services.notifications.domain.schedule import WorkingHours
from services.notifications.models import (
    Alert,
    Channel,
    DeliveryAttempt,
    Digest,
    DigestFile,
    DigestGroup,
    ReceivedDocuments,
    Silence,
)
from services.notifications.schemas import (
    MAX_DOCUMENT_BYTES,
    AlertView,
    DeliveryView,
    DocumentsRequest,
    ReceivedView,
    SilenceRequest,
    SilenceView,
    matcher,
)
from services.notifications.settings import AlertRoute, NotificationSettings

log = logging.getLogger(__name__)
SOURCE = "notifications"
# digests for people, pushed to no site-wide Alertmanager: a history summary (it would be dozens
# of alerts) and documents (no alert at all)
FOR_PEOPLE_ONLY = frozenset({"history", "documents"})


@dataclass(frozen=True)
class Rules:
    """What the use cases need besides the database: from the plans, each region's office (its
    digests say what happens in its region), the organisations' names and the indicators; from the
    settings, routes, timing, working hours and the channels every digest also goes to (the log; a
    site-wide Alertmanager)."""

    offices: Mapping[str, str]  # region → its office
    top_region: str
    names: dict[str, str]
    indicators: frozenset[str]
    routes: tuple[AlertRoute, ...]
    lookback_days: int
    timing: digests.Timing
    hours: WorkingHours
    site_channels: tuple[tuple[str, str], ...]  # (channel_key, kind)
    duty_keys: frozenset[str] = frozenset()  # what else a silence may name: "reporting", "campaign[:type]"
    region_words: Mapping[str, str] = field(default_factory=dict)  # organisation → 县, 市 or 省 (its region's)
    whole: Mapping[str, bool] = field(default_factory=dict)  # indicator → its figures are read whole
    # each region (itself) and each organisation its plans name → its region: an alert's region
    regions: Mapping[str, str] = field(default_factory=dict)

    @property
    def office(self) -> str | None:
        """The top region's office (the only one, in a county's own system)."""
        return self.offices.get(self.top_region)

    def office_for(self, region: str | None) -> str | None:
        """The office of ``region`` (None: from a system before regions, the top region's)."""
        return self.offices.get(region or self.top_region) or self.office

    def region_of_alert(self, scope: str, recipients: Iterable[str]) -> str:
        """An alert's region: an indicator's alert is scoped to its region; a duty's to an
        organisation, in the region its plan names it in; one no plan names (a town registered
        later) in the region whose office hears of it (an escalated duty), else the top region
        (a reminder goes to the town alone: its region is not stored with the alert)."""
        if (region := self.regions.get(scope)) is not None:
            return region
        region_of_office = {office: region for region, office in self.offices.items()}
        return next((region_of_office[org] for org in recipients if org in region_of_office), self.top_region)

    @classmethod
    def of(cls, atlas: Atlas, settings: NotificationSettings) -> "Rules":
        plans = atlas.all_plans()
        return cls(offices={r: office for r in atlas.regions if (office := atlas.office_of(r))},
                   top_region=atlas.first_region, names={o.code: o.name for _, o in atlas.organisations()},
                   indicators=frozenset(i.code for p in plans for i in p.all_indicators()),
                   routes=tuple(settings.alert_routes),
                   lookback_days=settings.alert_lookback_days, timing=settings.timing(),
                   hours=settings.working_hours(), site_channels=settings.site_channels(),
                   duty_keys=frozenset().union(*(duties.silence_keys(p) for p in plans)),
                   region_words={org.code: region_word(atlas.region(r).level) for r, org in atlas.organisations()},
                   whole={code: whole for p in plans for code, whole in p.figures_whole().items()},
                   regions={**{r: r for r in atlas.regions}, **{o.code: r for r, o in atlas.organisations()}})


# --- status changes and reference data ----------------------------------------------------------

@dataclass(frozen=True)
class Transition:
    action: rules_of_alerts.Action
    change: IndicatorStatusChanged | Alert  # a duty's alert stands in for its change (same figures)
    recipients: list[str]
    historical: bool


def apply_status_changes(session: Session, envelopes: list[Envelope], rules: Rules,
                         now: dt.datetime) -> list[Transition]:
    """Apply status-change events in order, replicas taking turns; events seen before or older
    than the window's last are skipped. Returns what happened to alerts (opened, updated, resolved)."""
    return _apply_in_order(session, envelopes, lambda c: (c.indicator, c.window, c.scope),
                           lambda change: _apply(session, change, rules, now))


def apply_duty_changes(session: Session, envelopes: list[Envelope], rules: Rules,
                       now: dt.datetime) -> list[Transition]:
    """Apply ``reporting_duty_changed`` events from activities like status changes: one alert per
    organisation and duty, each change once, an older one (by the duty's sequence) skipped."""
    return _apply_in_order(session, envelopes, duties.key, lambda change: _apply_duty(session, change, rules, now))


def _apply_in_order(session: Session, envelopes: list[Envelope], key_of: Callable[[Any], repository.AlertKey],
                    apply: Callable[[Any], Transition | None]) -> list[Transition]:
    repository.take_turn(session, "alerts")
    new = repository.mark_new_events(session, [e.event_id for e in envelopes])
    out = []
    for envelope in envelopes:
        if envelope.event_id not in new:
            continue
        new.discard(envelope.event_id)  # the same event twice in one batch counts once
        change = envelope.typed_payload()
        # without a sequence (an indicators service before sequences): order of arrival
        if change.sequence and not repository.record_sequence(session, key_of(change), change.sequence):
            continue
        if (transition := apply(change)) is not None:
            out.append(transition)
    session.commit()
    return out


def _apply(session: Session, change: IndicatorStatusChanged, rules: Rules, now: dt.datetime) -> Transition | None:
    alert = repository.alert(session, (change.indicator, change.window, change.scope))
    action = rules_of_alerts.decide(alert.state if alert else None, change)
    if action == "ignore":
        return None
    if action == "open" and alert is None:
        since = repository.monitoring_since(session, change.as_of)
        alert = Alert(indicator=change.indicator, window=change.window, scope=change.scope, times_opened=1,
                      opened_at=now, historical=rules_of_alerts.is_history(change.window, change.as_of, since,
                                                                           rules.lookback_days))
        session.add(alert)
    elif action == "open":
        alert.times_opened += 1
        alert.resolved_at = None
    if alert.status != change.status or action != "update":
        alert.changed_at = now
    alert.severity = rules_of_alerts.severity(change.status, alert.status)
    alert.indicator_name, alert.status = change.indicator_name, change.status
    alert.actual, alert.expected, alert.target = change.actual, change.expected, change.target
    alert.unit, alert.as_of, alert.kind = change.unit, change.as_of, change.kind
    alert.recipients = rules_of_alerts.recipients(change, rules.office_for(change.region or change.scope),
                                                  list(rules.routes), alert.severity)
    alert.state = "resolved" if action == "resolve" else "firing"
    if action == "resolve":
        alert.resolved_at = now
    return Transition(action, change, alert.recipients, bool(alert.historical))


def _apply_duty(session: Session, change: ReportingDutyChanged, rules: Rules, now: dt.datetime) -> Transition | None:
    key = duties.key(change)
    alert = repository.alert(session, key)
    action = duties.decide(alert.state if alert else None, change)
    if action == "ignore":
        return None
    if alert is None:
        indicator, window, scope = key
        alert = Alert(indicator=indicator, window=window, scope=scope, topic=duties.topic(change), times_opened=1,
                      opened_at=now, actual=0.0, expected=0.0, target=0.0, unit="", kind="")
        session.add(alert)
    elif action == "open":
        alert.times_opened += 1
        alert.resolved_at = None
    if alert.status != change.state:
        alert.changed_at = now
    alert.indicator_name, alert.scope_name, alert.status = change.campaign_name, change.org_name, change.state
    alert.due, alert.days_left, alert.as_of = change.due, change.days_left, change.as_of
    if action == "resolve":
        alert.state, alert.resolved_at = "resolved", now
    else:
        alert.state, alert.severity = "firing", duties.SEVERITY[change.state]
        alert.recipients = duties.recipients(change, rules.office_for(change.region), list(rules.routes))
        alert.historical = rules_of_alerts.is_history(change.period, change.as_of, dt.date.min, rules.lookback_days,
                                                      change.due)
    return Transition(action, alert, alert.recipients, bool(alert.historical))


def apply_channel_changes(session: Session, changes: Iterable[OrgChannelChanged]) -> None:
    """Keep the copy of organisations' channels; an older change arriving late is ignored, so a
    snapshot sent again (or twice) changes nothing."""
    for change in changes:
        row = repository.channel(session, change.channel_id)
        if row is not None and row.changed_at > change.changed_at:
            continue
        if row is None:
            row = Channel(id=change.channel_id)
            session.add(row)
        row.org, row.kind, row.label = change.org, change.kind, change.label
        if change.sealed_target:  # a removal may come without it (never sealed at organisations)
            row.sealed_target, row.sealed_secret = change.sealed_target, change.sealed_secret
            row.clear_target = row.clear_secret = None
        row.removed, row.changed_at = change.removed, change.changed_at
    session.commit()


def seal_stored_channels(session: Session, seal: Callable[[str], str]) -> int:
    """Seal the copy of channels kept in clear from before sealing (at start, with this service's
    key), so none rests in clear. Returns how many."""
    rows = repository.clear_channels(session)
    for row in rows:
        row.sealed_target, row.sealed_secret = seal(row.clear_target or ""), seal(row.clear_secret or "")
        row.clear_target = row.clear_secret = None
    session.commit()
    return len(rows)


def ask_for_reference(session: Session, now: dt.datetime) -> bool:
    """On a database with no channel copy that never asked: stage one ``reference_requested``, which
    organisations answers by sending every channel again. Replicas starting together take turns,
    so one of them asks. Returns whether this call asked."""
    repository.take_turn(session, "reference")
    ask = not repository.has_channels(session) and not repository.reference_requested(session)
    if ask:
        repository.stage_event(session, make_envelope(SOURCE, ReferenceRequested(service=SOURCE, requested_at=now)))
    session.commit()
    return ask


# --- digest rounds --------------------------------------------------------------------------------

def run_round(session: Session, rules: Rules, now: dt.datetime) -> list[Digest]:
    """Compose every digest due now, with its deliveries and the recipients' receipts, replicas
    taking turns."""
    repository.take_turn(session, "alerts")
    session.expire_all()  # another replica may have moved alerts since this session last read them
    made = _compose(session, rules, now)
    session.commit()
    return made


def _compose(session: Session, rules: Rules, now: dt.datetime) -> list[Digest]:
    alerts = repository.all_alerts(session)
    silences = [digests.SilenceRule(s.id, s.alert_id, s.indicator, s.org, s.starts_at, s.ends_at)
                for s in repository.silences_in_force(session, now)]
    told = repository.receipts(session)
    groups = repository.digest_groups(session)
    for alert in rules_of_alerts.past_look_back(alerts, rules.lookback_days):
        alert.historical, alert.summarised_at = True, now  # history, already told: no more reminders
    made = []
    orgs = sorted({org for a in alerts if not a.historical for org in a.recipients}
                  | {org for org, kind in groups if kind == "alerts"})
    for org in orgs:
        group = groups.get((org, "alerts")) or repository.add_group(session, groups, org, "alerts")
        entries = digests.entries(org, alerts, told, silences, now)
        has_news = any(news for _, news in entries)
        has_firing = any(a.state == "firing" for a, _ in entries)
        if has_news and group.pending_since is None:  # the group wait runs from the first news
            group.pending_since = min((a.changed_at or now for a, news in entries if news), default=now)
        elif not has_news:
            group.pending_since = None
        kind = digests.due(group.pending_since, group.last_sent_at, has_news, has_firing, now, rules.timing)
        if kind is None or not rules.hours.is_open(now):
            continue
        digest = _news_digest(session, group, kind, entries, rules, now)
        for alert, _ in entries:
            receipt = told.get((alert.id, org)) or repository.add_receipt(session, told, alert.id, org)
            receipt.state, receipt.status, receipt.digest_id = alert.state, alert.status, digest.id
        made.append(digest)
    pending = [a for a in alerts if a.historical and a.summarised_at is None and a.state == "firing"]
    for office in dict.fromkeys(rules.offices.values()):  # each office summarises its own region's windows
        mine = [a for a in pending if office in (a.recipients or [])]
        if (history := _history_digest(session, office, mine, groups, rules, now)) is not None:
            made.append(history)
    for alert in pending:  # a region without an office: recorded and listed, nobody to summarise to
        if not set(alert.recipients or []) & set(rules.offices.values()):
            alert.summarised_at = now
    return made


def _news_digest(session: Session, group: DigestGroup, kind: str, entries: list[tuple[Alert, bool]], rules: Rules,
                 now: dt.datetime) -> Digest:
    items = digests.news_items(entries, group.org, rules.whole)
    counts = Counter((i["topic"] == "indicator", i["state"]) for i in items)
    # a town registered after the plan is named by its duties' events
    name = rules.names.get(group.org) or next((a.scope_name for a, _ in entries if a.scope == group.org
                                               and a.scope_name), group.org)
    title = messages.digest_title(kind, name, counts[True, "firing"],
                                  counts[True, "resolved"], counts[False, "firing"], counts[False, "resolved"])
    as_of = max((a.as_of for a, _ in entries if a.as_of), default=None)
    text = messages.digest_text(title, as_of, items, to_office=group.org in rules.offices.values(),
                                region=rules.region_words.get(group.org, region_word(None)))
    return _store_digest(session, group, kind, title, text, items, rules, now)


def _store_digest(session: Session, group: DigestGroup, kind: str, title: str, text: str, items: list[dict],
                  rules: Rules, now: dt.datetime, due: dt.datetime | None = None) -> Digest:
    """The digest, numbered in its group, with a delivery per channel due at ``due`` (now by default)."""
    group.sent += 1
    group.last_sent_at, group.pending_since = now, None
    channels = [(key, kind_) for key, kind_ in rules.site_channels if kind not in FOR_PEOPLE_ONLY or kind_ == "log"]
    channels += [(f"channel-{c.id}", c.kind) for c in repository.org_channels(session, group.org)
                 if kind != "documents" or c.kind != "alertmanager"]  # an Alertmanager takes alerts only
    digest = Digest(org=group.org, kind=kind, number=group.sent, uid=uuid.uuid4().hex[:8], title=title, text=text,
                    items=items, created_at=now)
    return repository.add_digest(session, digest, channels, now, due)


def _history_digest(session: Session, office: str, pending: list[Alert], groups: dict[tuple[str, str], DigestGroup],
                    rules: Rules, now: dt.datetime) -> Digest | None:
    """Windows that closed before monitoring began: one summary to the office, each window once."""
    if not pending:
        if (group := groups.get((office, "history"))) is not None:
            group.pending_since = None
        return None
    group = groups.get((office, "history")) or repository.add_group(session, groups, office, "history")
    if group.pending_since is None:
        group.pending_since = min((a.changed_at or now for a in pending), default=now)
    latest = max((a.changed_at or now for a in pending), default=now)
    if not digests.history_settled(latest, now, rules.timing) or not rules.hours.is_open(now):
        return None
    items = [digests.item(a, "firing", whole=rules.whole)
             for a in sorted(pending, key=lambda a: (a.window, a.indicator, a.scope))]
    title = messages.history_title(len(items), repository.monitoring_since(session, pending[0].as_of))
    for alert in pending:
        alert.summarised_at = now
    return _store_digest(session, group, "history", title, messages.history_text(title, items, rules.names), items,
                         rules, now)


# --- documents (the 调度会 pack) ---------------------------------------------------------------

def deliver_documents(session: Session, spec: dict, rules: Rules, now: dt.datetime) -> ReceivedView:
    """Take files for an organisation under a key (``pack:2025Q2``) and send them as a digest of
    kind ``documents`` over its channels, through the delivery outbox like every digest: mail
    attaches the files, robots and webhooks get the text (where to download them). Once per key:
    documents handed over again under it add nothing and answer what the first call made.
    Outside working hours the deliveries wait for them, as digests do."""
    try:
        request = DocumentsRequest.model_validate(spec)
    except ValidationError as exc:
        raise invalid(exc) from None
    if request.size() > MAX_DOCUMENT_BYTES:
        raise BadRequest([Violation("files", "too_large", f"{request.size() / 2 ** 20:.1f} MB together; mail "
                                    f"carries at most {MAX_DOCUMENT_BYTES // 2 ** 20} MB")])
    repository.take_turn(session, "documents")
    if (known := repository.received_documents(session, request.org, request.key)) is not None:
        view = ReceivedView.of(known, repository.digest(session, known.digest_id), created=False)
        session.rollback()
        return view
    groups = repository.digest_groups(session)
    group = groups.get((request.org, "documents")) or repository.add_group(session, groups, request.org, "documents")
    digest = _store_digest(session, group, "documents", request.title, request.text, [], rules, now,
                           due=rules.hours.next_open(now))
    files = [DigestFile(digest_id=digest.id, position=n, filename=a.filename, content_type=a.content_type,
                        content=a.content) for n, a in enumerate(f.attachment() for f in request.files)]
    received = repository.add_received(session, ReceivedDocuments(org=request.org, key=request.key,
                                                                   digest_id=digest.id, received_at=now), files)
    session.commit()
    log.info("documents %s for %s: %s, %d files, going out as %s #%d", request.key, request.org, request.title,
             len(files), digest.kind, digest.number)
    return ReceivedView.of(received, digest, created=True)


def documents_received(session: Session, org: str, key: str) -> ReceivedView | None:
    """The documents held under ``key`` for ``org`` (their deliveries may still be under way), or None."""
    known = repository.received_documents(session, org, key)
    view = ReceivedView.of(known, repository.digest(session, known.digest_id), created=False) if known else None
    session.rollback()
    return view


# --- alerts and silences ------------------------------------------------------------------------

def list_alerts(session: Session, now: dt.datetime, state: str | None = None,
                indicator: str | None = None) -> list[AlertView]:
    """Alerts with who they go to, whether they are history, and the silences muting them."""
    silences = repository.active_silences(session, now)
    # silenced: no recipient hears of it (a silence of one organisation leaves the others told)
    return [AlertView.of(a, [s for s in silences if s.alert_id in (None, a.id)
                             and s.indicator in (None, a.indicator, a.topic) and s.org is None])
            for a in repository.alerts(session, state, indicator)]


def silence(session: Session, spec: dict, rules: Rules, now: dt.datetime) -> SilenceView:
    """Silence alerts (by id, indicator and/or recipient org) for a while, with a reason."""
    try:
        request = SilenceRequest.model_validate(spec)
    except ValidationError as exc:
        raise invalid(exc) from None
    if problem := _unknown(session, request, rules):
        raise BadRequest([problem])
    record = repository.add_silence(session, Silence(**request.stored(now), starts_at=now))
    session.commit()
    log.info("silence %d by %s until %s: %s (%s)", record.id, record.created_by, record.ends_at.isoformat(),
             matcher(record), record.reason)
    return SilenceView.of(record, now)


def _unknown(session: Session, request: SilenceRequest, rules: Rules) -> Violation | None:
    """A silence naming what does not exist would silence nothing while seeming to work."""
    if request.indicator and request.indicator not in rules.indicators | rules.duty_keys:
        return Violation("indicator", "unknown_indicator",
                         f"the plan has no indicator {request.indicator!r} (see `kepu plan show`; reporting "
                         "reminders are 'reporting', expected campaigns 'campaign' or 'campaign:<activity type>')")
    if request.org and request.org not in set(rules.names) | {org for r in rules.routes for org in r.to}:
        return Violation("org", "unknown_recipient",
                         f"no alert goes to {request.org!r} (the plan's organisations and KEPU_ALERT_ROUTES)")
    if request.alert_id and repository.alert_by_id(session, request.alert_id) is None:
        return Violation("alert_id", "unknown_alert", f"no alert {request.alert_id} (see `kepu alert list --json`)")
    return None


def list_silences(session: Session, now: dt.datetime, expired: bool = False) -> list[SilenceView]:
    return [SilenceView.of(s, now) for s in repository.silences(session, now, expired)]


def expire_silence(session: Session, silence_id: int, now: dt.datetime) -> bool:
    """End a silence now; False if there is none in force by that id."""
    record = repository.silence(session, silence_id)
    if record is None or record.ends_at <= now:
        return False
    record.ends_at = now
    session.commit()
    return True


@dataclass(frozen=True)
class Gauges:
    firing: Counter[tuple[str, str, str]]  # (severity, recipient org, the alert's region): alerts firing
    parked: dict[str, int]  # channel kind: deliveries parked


def read_gauges(session: Session, rules: Rules) -> Gauges:
    """What /metrics shows of the alerts and deliveries as they stand: an alert counts once per
    recipient, in its own region (``Rules.region_of_alert``)."""
    firing: Counter[tuple[str, str, str]] = Counter()
    for severity, scope, recipients in repository.firing_alerts(session):
        region = rules.region_of_alert(scope, recipients)
        firing.update((severity, org, region) for org in recipients)
    gauges = Gauges(firing, repository.parked_by_channel(session))
    session.rollback()
    return gauges


# --- deliveries (the worker's use cases, and the operator's) -------------------------------------

def list_deliveries(session: Session, failed_only: bool = False, limit: int = 200) -> list[DeliveryView]:
    return [DeliveryView.of(d, g) for d, g in repository.deliveries(session, failed_only, limit)]


def retry_deliveries(session: Session, now: dt.datetime, delivery_ids: list[int] | None = None) -> int:
    """Parked deliveries (all, or these) get a fresh set of attempts, due now."""
    count = repository.retry_parked(session, now, delivery_ids)
    session.commit()
    return count


def claim_deliveries(session: Session, now: dt.datetime, claimant: str, limit: int) -> list[int]:
    """Claim up to ``limit`` due deliveries for ``claimant``: a short write, committed before any
    sending, so replicas share the work without sending one twice."""
    ids = repository.claim_due(session, now, claimant, limit)
    session.commit()
    return ids


def load_job(session: Session, delivery_id: int) -> Job:
    """What the sender needs of a claimed delivery, read before any network I/O."""
    row = repository.delivery(session, delivery_id)
    digest = repository.digest(session, row.digest_id)
    # only mail carries files: the other channels' jobs stay small
    files = tuple(Attachment(f.filename, f.content_type, f.content) for f in repository.digest_files(session, digest.id)
                  ) if row.channel_kind == "email" else ()
    return Job(row.id, delivery_key(digest.org, digest.kind, digest.number, digest.uid, row.channel_key), row.org,
               row.channel_key, row.channel_kind, row.attempts + 1,
               {"id": digest.id, "org": digest.org, "kind": digest.kind, "number": digest.number,
                "title": digest.title, "text": digest.text, "items": digest.items,
                "created_at": digest.created_at.isoformat()}, digest.created_at, files)


def target_of(session: Session, job: Job, alertmanager_url: str, open_sealed: Callable[[str], str]) -> Target:
    """Where ``job`` goes, its channel opened with ``open_sealed`` (the service's key, only now, to
    deliver); ``ChannelGone`` if its channel was removed since the digest was made."""
    if job.channel_key == "log":
        return Target("log")
    if job.channel_key == "alertmanager":
        return Target("alertmanager", alertmanager_url)
    channel = repository.channel(session, int(job.channel_key.removeprefix("channel-")))
    if channel is None or channel.removed or channel.org != job.org:
        raise ChannelGone(f"{job.channel_key} of {job.org} was removed before this digest went out; "
                          f"its other channels and the log have it")
    if channel.sealed_target is None:
        raise ChannelGone(f"{job.channel_key} of {job.org} is not sealed yet (notifications seals its copy as "
                          f"it starts)")
    return Target(channel.kind, open_sealed(channel.sealed_target), open_sealed(channel.sealed_secret))


def record_attempt(session: Session, delivery_id: int, started: dt.datetime, seconds: float, error: str | None,
                   now: dt.datetime, policy: RetryPolicy, rand: Callable[[], float] = random.random,
                   final: bool = False) -> Outcome:
    """Record one attempt and move the delivery on: sent, due again later, or parked (after the
    last attempt, or at once when ``final``: no retry can succeed)."""
    row = repository.delivery(session, delivery_id)
    if row is None:
        raise LookupError(f"delivery {delivery_id} is no longer in the database")
    row.attempts += 1
    repository.add_attempt(session, DeliveryAttempt(delivery_id=delivery_id, number=row.attempts, started_at=started,
                                                    seconds=seconds, ok=error is None,
                                                    error=(error or "")[:ERROR_CHARS]))
    row.claimed_by = row.claimed_at = None
    outcome = policy.outcome(row.attempts, error, final)
    if outcome == "sent":
        row.status, row.sent_at, row.last_error = "sent", now, ""
    else:
        row.last_error = error[:ERROR_CHARS]
        if outcome == "parked":
            row.status = "parked"
        else:
            row.next_attempt_at = now + dt.timedelta(seconds=policy.pause(row.attempts, rand))
    session.commit()
    return outcome
