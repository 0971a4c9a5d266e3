"""Typed requests and results of the notifications service's RPC methods."""
from __future__ import annotations

import base64
import binascii
import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from libs.common.bounds import text
from libs.common.db import iso
from services.notifications.domain import messages
from services.notifications.domain.deliveries import Attachment
from services.notifications.models import Alert, Delivery, Digest, ReceivedDocuments, Silence

MAX_SILENCE = dt.timedelta(days=366)
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # what mail servers commonly accept, after base64's third more
MAX_DOCUMENT_FILES = 10
Title = text(300, min_length=1)  # named here: a request field is called ``text``


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


class DocumentFile(BaseModel):
    """One file of ``deliver_documents``: its name as the office will see it, its type, its bytes."""

    model_config = ConfigDict(extra="forbid")

    filename: text(200, min_length=1)
    content_type: str = Field(pattern=r"^[a-z]+/[A-Za-z0-9.+-]+$", max_length=100)
    # base64 of at most MAX_DOCUMENT_BYTES; the length is checked before anything is decoded
    content_b64: str = Field(min_length=1, max_length=(MAX_DOCUMENT_BYTES + 2) // 3 * 4)

    @field_validator("content_b64")
    @classmethod
    def _base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("not base64") from None
        return value

    def attachment(self) -> Attachment:
        return Attachment(self.filename, self.content_type, base64.b64decode(self.content_b64))


class DocumentsRequest(BaseModel):
    """``deliver_documents``: files for an organisation, once per ``key``, with a title (the mail's
    subject) and a text (the mail's body, and the whole message on robots and webhooks)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    org: str = Field(min_length=1, max_length=64)
    key: str = Field(min_length=1, max_length=64)
    title: Title
    text: str = Field(min_length=1, max_length=2000)
    files: list[DocumentFile] = Field(min_length=1, max_length=MAX_DOCUMENT_FILES)

    def size(self) -> int:
        """The files' bytes together, from their base64 (before decoding any)."""
        return sum(len(f.content_b64) // 4 * 3 for f in self.files)


class ReceivedView(BaseModel):
    """Documents notifications holds under a key: the digest they go out as, and whether this call
    handed them over (``created``) or an earlier one had."""

    org: str
    key: str
    digest_id: int
    digest: str
    title: str
    received_at: str
    created: bool

    @classmethod
    def of(cls, received: ReceivedDocuments, digest: Digest, created: bool) -> "ReceivedView":
        return cls(org=received.org, key=received.key, digest_id=digest.id, digest=f"{digest.kind} #{digest.number}",
                   title=digest.title, received_at=iso(received.received_at), created=created)
