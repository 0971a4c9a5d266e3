"""Deliveries, one digest to one channel (no bus, no database): what a sender is handed, how an
attempt ends, and how long a failed one waits.

A failed attempt is retried after an exponential backoff with jitter, capped; after the last
attempt the delivery is parked until an operator retries it. A claim older than
``CLAIM_SECONDS`` (its worker died) may be taken over.
"""
from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

CLAIM_SECONDS = 300.0  # far beyond one attempt's timeout
ERROR_CHARS = 500

Outcome = Literal["sent", "failed", "parked"]  # failed: will retry; parked: gave up


class ChannelFailed(Exception):
    """One attempt failed; the message is safe to log and store (secrets scrubbed)."""


class ChannelGone(ChannelFailed):
    """The channel was removed, or cannot be opened: no attempt can succeed, so the delivery is
    parked at once."""


@dataclass(frozen=True)
class Target:
    """Where one delivery goes: a channel kind and, for most, its URL or addresses and secret."""

    kind: str
    target: str = ""
    secret: str = ""


@dataclass(frozen=True)
class RetryPolicy:
    base: float
    cap: float
    attempts: int

    def pause(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds before the attempt after ``attempt`` (1-based): base·2^(n-1), capped, then
        "equal jitter" (between half and all of it), so failed deliveries do not retry in step."""
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return ceiling / 2 + rand() * ceiling / 2

    def outcome(self, attempts: int, error: str | None, final: bool) -> Outcome:
        """How the ``attempts``-th attempt leaves its delivery: sent, due again, or parked (after
        the last attempt, or at once when ``final``: no retry can succeed)."""
        if error is None:
            return "sent"
        return "parked" if final or attempts >= self.attempts else "failed"


@dataclass(frozen=True)
class Attachment:
    """A file that goes along with a message (the 调度会 pack's PDF and XLSX): mail attaches it,
    the other channels name where to download it."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Job:
    """What a sender needs, read before any network I/O."""

    delivery_id: int
    key: str  # unique per recipient, channel and digest: receivers may de-duplicate on it
    org: str
    channel_key: str
    channel_kind: str
    attempt: int
    digest: dict
    created_at: dt.datetime
    files: tuple[Attachment, ...] = ()  # loaded for the channels that carry them (mail)


def delivery_key(org: str, kind: str, number: int, uid: str, channel_key: str) -> str:
    """The key a receiver sees: the same on every resend of one digest to one channel."""
    return f"kepu-{org}-{kind}-{number}-{uid}-{channel_key}"

