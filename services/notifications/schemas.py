"""Typed requests and results of the notifications service's RPC methods."""
from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator

from libs.common.bounds import text
from libs.common.db import iso
from services.notifications.domain import messages
from services.notifications.models import Alert, Delivery, Digest, Silence

MAX_SILENCE = dt.timedelta(days=366)


class SilenceRequest(BaseModel):
    """``kepu alert silence``: what to silence, for how long, why, by whom."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    alert_id: int | None = Field(None, ge=1)
    indicator: str | None = Field(None, min_length=1, max_length=128)
    org: str | None = Field(None, min_length=1, max_length=64)
    hours: float = Field(gt=0, le=MAX_SILENCE.total_seconds() / 3600)
    reason: text(500, min_length=2)
    created_by: text(100, min_length=1)

    @model_validator(mode="after")
    def _matches_something(self) -> "SilenceRequest":
        if self.alert_id is None and self.indicator is None and self.org is None:
            raise ValueError("name an alert (--alert), an indicator (--indicator) or an organisation (--org) to "
                             "silence; silencing everything is not offered")
        return self

    def stored(self, now: dt.datetime) -> dict:
        return {"alert_id": self.alert_id, "indicator": self.indicator, "org": self.org, "reason": self.reason,
                "created_by": self.created_by, "ends_at": now + dt.timedelta(hours=self.hours)}


def matcher(s: Silence) -> str:
    parts = [f"alert {s.alert_id}" if s.alert_id else "", f"indicator {s.indicator}" if s.indicator else "",
             f"to {s.org}" if s.org else ""]
    return ", ".join(p for p in parts if p)


class SilenceView(BaseModel):
    silence_id: int
    matches: str
    alert_id: int | None
    indicator: str | None
    org: str | None
    reason: str
    created_by: str
    starts_at: str
    ends_at: str
    active: bool

    @classmethod
    def of(cls, s: Silence, now: dt.datetime) -> "SilenceView":
        return cls(silence_id=s.id, matches=matcher(s), alert_id=s.alert_id, indicator=s.indicator, org=s.org,
                   reason=s.reason, created_by=s.created_by, starts_at=iso(s.starts_at), ends_at=iso(s.ends_at),
                   active=s.starts_at <= now < s.ends_at)


class AlertView(BaseModel):
    """An alert with who it goes to, whether it is history, and the silences muting it."""

    id: int
    indicator: str
    indicator_name: str
    window: str
    scope: str
    state: str
    status: str
    severity: str
    actual: float
    expected: float
    target: float
    unit: str
    as_of: str | None
    recipients: list[str]
    times_opened: int
    historical: bool
    opened_at: str | None
    resolved_at: str | None
    silenced_by: list[int]
    silenced_until: str | None
    topic: str = "indicator"  # or a reporting duty: "reporting" (a period), "campaign"
    due: str | None = None  # a duty's deadline, or its season's last day
    text: str = ""  # a duty's line as the digests word it ("逾期未报送：2025年第三季度（截止…）")

    @classmethod
    def of(cls, a: Alert, muting: list[Silence]) -> "AlertView":
        return cls(id=a.id, indicator=a.indicator, indicator_name=a.indicator_name, window=a.window, scope=a.scope,
                   state=a.state, status=a.status, severity=a.severity, actual=a.actual, expected=a.expected,
                   target=a.target, unit=a.unit, as_of=a.as_of.isoformat() if a.as_of else None,
                   recipients=a.recipients, times_opened=a.times_opened, historical=bool(a.historical),
                   opened_at=iso(a.opened_at), resolved_at=iso(a.resolved_at), silenced_by=[s.id for s in muting],
                   silenced_until=max((iso(s.ends_at) for s in muting), default=None), topic=a.topic or "indicator",
                   due=a.due.isoformat() if a.due else None,
                   text=messages.duty_text(a) if a.topic not in (None, "indicator") else "")


class DeliveryView(BaseModel):
    """One digest to one channel, as `kepu alert deliveries` lists it."""

    delivery_id: int
    digest_id: int
    org: str
    digest: str
    title: str
    channel: str
    kind: str
    status: str
    attempts: int
    next_attempt_at: str | None
    last_error: str
    created_at: str
    sent_at: str | None

    @classmethod
    def of(cls, d: Delivery, g: Digest) -> "DeliveryView":
        return cls(delivery_id=d.id, digest_id=g.id, org=d.org, digest=f"{g.kind} #{g.number}", title=g.title,
                   channel=d.channel_key, kind=d.channel_kind, status=d.status, attempts=d.attempts,
                   next_attempt_at=d.next_attempt_at.isoformat() if d.status == "pending" else None,
                   last_error=d.last_error, created_at=d.created_at.isoformat(), sent_at=iso(d.sent_at))
