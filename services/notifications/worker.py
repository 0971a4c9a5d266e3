"""The delivery worker: a loop inside the notifications service that sends due deliveries.

Each delivery is sent in its own green thread from a bounded pool, so a slow or dead receiver
holds one slot, never the other channels or organisations. Rows are claimed first (see
``app.claim_deliveries``), so replicas share the work without sending one twice. The worker
parses the notifications settings once for its container (the service reads them here too), holds
the key that opens channels (``keys.ChannelKey``), and names organisations from the plan the
service holds, not from a copy of its own.
"""
from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import socket
import time

import eventlet
from eventlet.greenpool import GreenPool
from sqlalchemy.orm import sessionmaker

from libs.common.channels import masked
from libs.common.db import make_engine
from libs.common.loops import BackgroundLoop
from libs.common.plan.provider import PlanHolder, PlanProvider
from libs.common.settings import settings_from_config
from services.notifications import app
from services.notifications.channels import Sender
from services.notifications.domain.deliveries import CLAIM_SECONDS, ChannelFailed, ChannelGone, Target
from services.notifications.keys import ChannelKey
from services.notifications.metrics import DELIVERIES, DELIVERY_LATENCY
from services.notifications.settings import NotificationSettings

log = logging.getLogger(__name__)
IDLE_SECONDS = 1.0
RECORD_PAUSES = (0.5, 2.0, 5.0, 15.0, 30.0)  # about a minute of a locked or restarting database


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class DeliveryWorker(BackgroundLoop):
    """Sends deliveries in the background; the service calls ``.wake()`` after a round made some."""

    def __init__(self):
        super().__init__()
        self.last_round = 0.0  # monotonic time of this container's last digest round

    def setup(self) -> None:
        shared = settings_from_config(self.container.config)
        self.settings = settings = NotificationSettings.from_config(self.container.config)
        self.engine = make_engine(shared.database_url("notifications"))
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.policy = settings.retry_policy()
        self.pool = GreenPool(settings.delivery_concurrency)
        self.sender = Sender(settings, self._org_name, shared.var_dir / "log" / "alert-digests.log")
        self.claimant = f"{socket.gethostname()[:30]}:{os.getpid()}:{id(self) % 10_000}"
        self.rounds = itertools.count()
        self.key = ChannelKey.load(settings.channel_private_key.get_secret_value(), settings.key_file(shared.var_dir))

    def start(self) -> None:
        """Seal a channel copy kept in clear from before sealing (the database is migrated by now:
        every provider's setup ran), then start sending."""
        with self.sessions() as session:
            if sealed := app.seal_stored_channels(session, self.key.seal):
                log.info("sealed %d channels kept in clear from before sealing", sealed)
        super().start()

    def _plan(self) -> PlanHolder:
        """The plan the service holds (its provider's, reloaded with it), looked up when first used:
        nameko sets the providers up in no particular order."""
        return next(d for d in self.container.dependencies if isinstance(d, PlanProvider)).holder

    def _org_name(self, org: str) -> str:
        found = self._plan().atlas.organisation(org)
        return found.name if found is not None else org

    def close(self) -> None:
        self.pool.waitall()  # let attempts under way finish and record themselves
        self.engine.dispose()

    def run_once(self) -> None:
        try:
            self.dispatch()
        except Exception:  # the database failing: keep the rows, try again
            log.exception("delivery worker could not read due deliveries; trying again in %.0fs", IDLE_SECONDS)

    def pause(self) -> float:
        return IDLE_SECONDS

    def dispatch(self) -> int:
        """Claim as many due deliveries as there are free slots and start sending them."""
        free = self.pool.free()
        if not free:
            return 0
        with self.sessions() as session:
            ids = app.claim_deliveries(session, _now(), f"{self.claimant}/{next(self.rounds)}", free)
        for delivery_id in ids:
            self.pool.spawn_n(self._deliver, delivery_id)
        return len(ids)

    def _record(self, delivery_id: int, started: dt.datetime, seconds: float, error: str | None, now: dt.datetime,
                final: bool) -> str | None:
        """Record the attempt, retrying while the database is briefly unavailable: a send that is not
        recorded would be sent again once its claim ages out."""
        for pause in (*RECORD_PAUSES, None):
            try:
                with self.sessions() as session:
                    return app.record_attempt(session, delivery_id, started, seconds, error, now, self.policy,
                                              final=final)
            except LookupError as exc:
                log.error("could not record attempt: %s", exc)
                return None
            except Exception as exc:
                if pause is None:
                    log.error("could not record attempt on delivery %d (%s): it will be tried again after its "
                              "claim ages out (%.0fs); check the notifications database", delivery_id, exc,
                              CLAIM_SECONDS)
                    return None
                eventlet.sleep(pause)
        raise AssertionError("unreachable: the last pause is None")

    def _deliver(self, delivery_id: int) -> None:
        started, t0 = _now(), time.monotonic()
        error, job, target, final = None, None, None, False
        try:
            with self.sessions() as session:
                job = app.load_job(session, delivery_id)
                target = app.target_of(session, job, self.settings.alertmanager_url, self.key.open)
            self.sender.send(job, target, started)
        except ChannelFailed as exc:
            error, final = str(exc), isinstance(exc, ChannelGone)
        except Exception as exc:  # a bug, not the receiver: record it and keep the worker alive
            log.exception("delivery %d failed unexpectedly", delivery_id)
            error = f"unexpected {type(exc).__name__} in the sender (see the service log)"
        now = _now()
        outcome = self._record(delivery_id, started, time.monotonic() - t0, error, now, final)
        if outcome is None:
            return
        kind = job.channel_kind if job else "unknown"
        DELIVERIES.labels(kind, outcome).inc()
        if outcome == "sent":
            DELIVERY_LATENCY.labels(kind).observe((now - job.created_at).total_seconds())
            if kind != "log":
                log.info("sent %s to %s via %s", job.key, job.org, _where(target))
        elif outcome == "failed":
            log.warning("could not send %s to %s via %s (attempt %d of %d): %s; retrying later", job.key if job else
                        delivery_id, job.org if job else "?", _where(target), job.attempt if job else 0,
                        self.policy.attempts, error)
        else:
            log.error("gave up sending %s to %s via %s after %d attempts: %s. Mend the channel "
                      "(`kepu org channel list`), then `kepu alert deliveries retry`", job.key if job else delivery_id,
                      job.org if job else "?", _where(target), self.policy.attempts, error)


def _where(target: Target | None) -> str:
    return f"{target.kind} {masked(target.kind, target.target)}" if target and target.target else (
        target.kind if target else "an unknown channel")
