"""Event contracts shared by publishers and consumers.

Every message on the bus is an :class:`Envelope`; its ``payload`` validates against the
model registered for its ``type`` and ``schema_version``. Services share these events,
never tables.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from libs.common.bounds import Code, Day
from libs.common.contracts.activity import ActivityFacts


class Envelope(BaseModel):
    """What travels on the bus: identity for idempotency, type for routing, payload."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    type: str
    schema_version: int = 1
    occurred_at: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    source: str
    payload: dict

    def typed_payload(self) -> BaseModel:
        model = PAYLOADS[(self.type, self.schema_version)]
        return model.model_validate(self.payload)


class ActivityRecorded(ActivityFacts):
    """An activity was accepted, corrected (higher revision) or retracted: its facts as they
    stand now (``libs.common.contracts.activity``), which activity, revision and reporter."""

    activity_id: str = Field(min_length=1, max_length=32)
    revision: int = Field(1, ge=1)
    retracted: bool = False
    org: Code
    region: Code | None = None  # the reporter's region; None from a system before regions (its only one)


class ActivitiesRecorded(BaseModel):
    """Several activities recorded or corrected in one transaction (a batch report): one event
    instead of one per activity, so a 500-row batch costs the bus one message, not 500."""

    model_config = ConfigDict(extra="forbid")

    activities: list[ActivityRecorded] = Field(min_length=1)


IndicatorStatus = Literal["not_started", "no_data", "on_track", "at_risk", "lagging", "achieved", "missed",
                          "tracking"]
INDICATOR_STATUSES: tuple[str, ...] = get_args(IndicatorStatus)
# The statuses that warrant an alert: indicators sends on their changing figures, notifications
# opens and keeps alerts on them. One definition, because both sides must agree.
FIRING_STATUSES = frozenset({"lagging", "missed"})


class IndicatorStatusChanged(BaseModel):
    """An indicator window moved from one status to another (on an event or on the clock).

    Also sent with ``previous == status`` when the figures of a lagging or missed window move,
    so that its alert shows current numbers.
    """

    model_config = ConfigDict(extra="forbid")

    indicator: str
    indicator_name: str
    window: str
    scope: str
    previous: IndicatorStatus | None
    status: IndicatorStatus
    actual: float
    expected: float
    target: float
    unit: str
    as_of: Day
    responsible: list[str]
    # counts the changes sent for this window: a consumer skips one older than what it has seen
    # (replicas may deliver them out of order); 0 from senders that did not count
    sequence: int = 0
    # yearly / quarterly / cumulative / stock: a stock is a level reached, not a sum (alert wording)
    kind: str = ""
    region: Code | None = None  # the region whose target this is (its scope); None before regions


DutyState = Literal["reminder", "overdue", "missing_campaign", "resolved"]
DUTY_STATES: tuple[str, ...] = get_args(DutyState)


class ReportingDutyChanged(BaseModel):
    """An organisation's reporting duty changed state (activities judges them on the clock and
    after each submission or report): one period's report (``campaign`` None) or one year's
    expected campaign (``campaign``: the activity type, ``period``: the year).

    ``reminder``: due soon and not submitted (before a campaign's season: nothing reported yet);
    ``overdue``: the deadline passed (逾期未报送); ``missing_campaign``: the season ended with
    nothing reported; ``resolved``: submitted (a nil report too) or reported after all. A
    reminder is sent again, same state, when its working days left change, so that its line
    reads true. ``sequence`` counts the changes of one duty: a consumer skips an older one."""

    model_config = ConfigDict(extra="forbid")

    org: Code
    org_name: str = Field(max_length=200)
    region: Code | None = None  # the organisation's region (whose office hears of it); None before regions
    period: str = Field(min_length=4, max_length=16)  # "2025Q3", "2025-03", "2025H1", "2025"; a campaign's year
    campaign: Code | None = None
    campaign_name: str = Field("", max_length=200)
    state: DutyState
    starts: Day  # the period's or the season's first day
    due: Day  # the deadline (a working day), or the season's last day
    days_left: int | None = Field(None, ge=0)  # working days until ``due``, for a period's reminder
    as_of: Day
    sequence: int = Field(ge=1)


ChannelKind = Literal["webhook", "wecom", "dingtalk", "email", "alertmanager"]
CHANNEL_KINDS: tuple[str, ...] = get_args(ChannelKind)


class OrgChannelChanged(BaseModel):
    """An organisation's notification channel was added, changed or removed (organisations keeps
    them; notifications holds a copy, so that no alert needs an RPC). ``sealed_target`` (a URL or,
    for email, the addresses) and ``sealed_secret`` (signs DingTalk requests) are sealed for
    notifications by the operator's command (``libs.common.channels.seal``): only it opens them.
    A removal may come without them (a channel from before sealing, never sealed)."""

    model_config = ConfigDict(extra="forbid")

    channel_id: int
    org: str
    kind: ChannelKind
    sealed_target: str = Field("", max_length=12_000)
    sealed_secret: str = Field("", max_length=12_000)
    label: str = ""
    removed: bool = False
    changed_at: dt.datetime

    @model_validator(mode="after")
    def _sealed_unless_removed(self) -> "OrgChannelChanged":
        if not (self.sealed_target or self.removed):
            raise ValueError("sealed_target: a channel in use needs its sealed target")
        return self


class OrganisationChanged(BaseModel):
    """An organisation was registered or changed (organisations keeps the registry; activities and
    notifications hold copies fed by this event, so that no report or alert asks it mid-request).
    Sent for every organisation again when a service asks for a snapshot."""

    model_config = ConfigDict(extra="forbid")

    code: Code
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    parent: Code | None = None
    region: Code | None = None  # the region it belongs to; None from a system before regions
    from_plan: bool = False
    is_example: bool = False
    changed_at: dt.datetime


class ReferenceRequested(BaseModel):
    """A service whose copy of the reference data (organisations, channels) is empty asks
    organisations to send all of it again (``organisation_changed`` and ``org_channel_changed`` for
    every record). Consumers apply those idempotently, so a second snapshot changes nothing."""

    model_config = ConfigDict(extra="forbid")

    service: Code
    requested_at: dt.datetime


class RebuildReplayed(BaseModel):
    """Sent after the last activity of a rebuild's replay: how many there were."""

    model_config = ConfigDict(extra="forbid")

    run: str
    count: int


ACTIVITY_RECORDED = "activity_recorded"
ACTIVITIES_RECORDED = "activities_recorded"
INDICATOR_STATUS_CHANGED = "indicator_status_changed"
REBUILD_REPLAYED = "rebuild_replayed"
ORG_CHANNEL_CHANGED = "org_channel_changed"
ORGANISATION_CHANGED = "organisation_changed"
REFERENCE_REQUESTED = "reference_requested"
REPORTING_DUTY_CHANGED = "reporting_duty_changed"

PAYLOADS: dict[tuple[str, int], type[BaseModel]] = {
    (ACTIVITY_RECORDED, 1): ActivityRecorded,
    (ACTIVITIES_RECORDED, 1): ActivitiesRecorded,
    (INDICATOR_STATUS_CHANGED, 1): IndicatorStatusChanged,
    (REBUILD_REPLAYED, 1): RebuildReplayed,
    (ORG_CHANNEL_CHANGED, 1): OrgChannelChanged,
    (ORGANISATION_CHANGED, 1): OrganisationChanged,
    (REFERENCE_REQUESTED, 1): ReferenceRequested,
    (REPORTING_DUTY_CHANGED, 1): ReportingDutyChanged,
}


def recorded_activities(envelope: Envelope) -> list[ActivityRecorded]:
    """The activities an ``activity_recorded`` or ``activities_recorded`` event carries."""
    payload = envelope.typed_payload()
    return payload.activities if isinstance(payload, ActivitiesRecorded) else [payload]


def replay_event_id(run: str, activity_id: str) -> str:
    """The id of an activity's event in a rebuild's replay: one per activity and run."""
    return f"replay-{run}-{activity_id}"


def make_envelope(source: str, payload: BaseModel, event_id: str | None = None) -> Envelope:
    event_type = next(t for (t, _), m in PAYLOADS.items() if m is type(payload))
    extra = {"event_id": event_id} if event_id else {}
    return Envelope(type=event_type, source=source, payload=payload.model_dump(mode="json"), **extra)
