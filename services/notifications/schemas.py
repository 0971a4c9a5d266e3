"""Typed requests and results of the notifications service's RPC methods."""
from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from libs.common.bounds import text
from libs.common.db import iso
from services.notifications.models import Alert, Silence

MAX_SILENCE = dt.timedelta(days=366)


def first_error(exc: Exception) -> str:
    """``field: message`` of a validation error, for BadRequest."""
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "silence"
        return f"{where}: {err['msg'].removeprefix('Value error, ')}"
    return str(exc)


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


def list_silences(session: Session, now: dt.datetime, expired: bool = False) -> list[dict]:
    query = select(Silence).order_by(Silence.ends_at.desc())
    if not expired:
        query = query.where(Silence.ends_at > now)
    return [SilenceView.of(s, now).model_dump() for s in session.scalars(query)]


def list_alerts(session: Session, now: dt.datetime, state: str | None = None,
                indicator: str | None = None) -> list[dict]:
    """Alerts with who they go to, whether they are history, and the silences muting them."""
    query = select(Alert).order_by(Alert.indicator, Alert.window, Alert.scope)
    if state:
        query = query.where(Alert.state == state)
    if indicator:
        query = query.where(Alert.indicator == indicator)
    silences = list(session.scalars(select(Silence).where(Silence.starts_at <= now, Silence.ends_at > now)))
    out = []
    for a in session.scalars(query):
        # silenced: no recipient hears of it (a silence of one organisation leaves the others told)
        muting = [s for s in silences if s.alert_id in (None, a.id) and s.indicator in (None, a.indicator)
                  and s.org is None]
        out.append({
            "id": a.id, "indicator": a.indicator, "indicator_name": a.indicator_name, "window": a.window,
            "scope": a.scope, "state": a.state, "status": a.status, "severity": a.severity, "actual": a.actual,
            "expected": a.expected, "target": a.target, "unit": a.unit,
            "as_of": a.as_of.isoformat() if a.as_of else None, "recipients": a.recipients,
            "times_opened": a.times_opened, "historical": bool(a.historical), "opened_at": iso(a.opened_at),
            "resolved_at": iso(a.resolved_at), "silenced_by": [s.id for s in muting],
            "silenced_until": max((iso(s.ends_at) for s in muting), default=None),
        })
    return out
