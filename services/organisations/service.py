"""nameko service ``organisations``: the org hierarchy and the tokens departments report with.

Thin wiring over ``app`` (the use cases)."""
from __future__ import annotations

import datetime as dt

from nameko.timer import timer
from sqlalchemy.orm import Session

from libs.common.consumers import on_events
from libs.common.db import Database
from libs.common.events import REFERENCE_REQUESTED, Envelope
from libs.common.health import HealthMixin
from libs.common.metrics import MetricsEndpoint
from libs.common.outbox import OutboxRelay
from libs.common.plan import load_plan
from libs.common.plan.provider import PlanMixin
from libs.common.rpc import rpc
from services.organisations import app
from services.organisations.metrics import publish_orgs
from services.organisations.models import OutboxEvent


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class OrganisationsService(HealthMixin, PlanMixin):
    name = "organisations"

    db: Session = Database("organisations", on_open=lambda session, settings: app.start(
        session, load_plan(settings.plan_file), _now()))
    metrics = MetricsEndpoint("organisations")
    outbox = OutboxRelay(OutboxEvent, "organisations")

    @timer(interval=30, eager=True)
    def count_orgs(self) -> None:
        """The registry on /metrics (towns registered since appear within half a minute)."""
        publish_orgs(app.list_orgs(self.db))
        self.db.rollback()

    @rpc
    def reload_plan(self) -> int:
        """Upsert the organisations of the (changed) plan file; returns how many it names."""
        count = app.reseed(self.db, self.plan.reload(), _now())
        self.outbox.wake()
        return count

    @rpc
    def list_orgs(self, kind: str | None = None) -> list[dict]:
        return app.list_orgs(self.db, kind)

    @rpc
    def list_orgs_under(self, root: str, kind: str | None = None) -> list[dict]:
        return app.list_orgs_under(self.db, root, kind)

    @rpc
    def get_org(self, code: str) -> dict | None:
        return app.get_org(self.db, code)

    @rpc
    def register_org(self, registration: dict) -> dict:
        registered = app.register_org(self.db, registration, _now())
        self.outbox.wake()
        self.count_orgs()  # on /metrics at once, not at the next round
        return registered

    @rpc
    def issue_token(self, org_code: str, token_hash: str, label: str = "", role: str = "reporter",
                    expires: str | None = None) -> dict:
        """Record a token by its sha256 (the operator's command made it and shows it); no token in
        the reply."""
        return app.issue_token(self.db, org_code, token_hash, label, role, expires, _now())

    @rpc
    def list_tokens(self, org: str | None = None) -> list[dict]:
        return app.list_tokens(self.db, org)

    @rpc
    def revoke_token(self, token_id: int) -> bool:
        return app.revoke_token(self.db, token_id, _now())

    @rpc
    def authenticate(self, token_hash: str) -> dict:
        """Who a token stands for, given its sha256 (the gateway never sends the token itself)."""
        return app.authenticate(self.db, token_hash, _now())

    @rpc
    def add_channel(self, org_code: str, spec: dict) -> dict:
        """A notification channel for ORG, sealed for notifications (``SealedChannel``); published to it."""
        added = app.add_channel(self.db, org_code, spec, _now())
        self.outbox.wake()
        return added

    @rpc
    def seal_channels(self, public_key: str) -> int:
        """Seal the channels kept in clear from before sealing with notifications' public key (which
        ``kepu org channel seal`` fetched) and send them to notifications sealed."""
        sealed = app.seal_clear_channels(self.db, public_key, _now())
        self.outbox.wake()
        return sealed

    @rpc
    def list_channels(self, org: str | None = None, removed: bool = False) -> list[dict]:
        """Channels with their secrets masked."""
        return app.list_channels(self.db, org, removed)

    @rpc
    def remove_channel(self, channel_id: int) -> bool:
        removed = app.remove_channel(self.db, channel_id, _now())
        self.outbox.wake()
        return removed

    @on_events("activities", REFERENCE_REQUESTED)
    def handle_reference_requested_by_activities(self, bodies: list[dict]) -> None:
        """activities started with no copy of the organisations: send it everything."""
        self._answer(bodies)

    @on_events("notifications", REFERENCE_REQUESTED)
    def handle_reference_requested_by_notifications(self, bodies: list[dict]) -> None:
        """notifications started with no copy of the channels: send it everything."""
        self._answer(bodies)

    def _answer(self, bodies: list[dict]) -> None:
        app.answer_reference_requests(self.db, [Envelope.model_validate(b).typed_payload() for b in bodies], _now())
        self.outbox.wake()

    @rpc
    def republish_channels(self) -> int:
        """Send every channel to notifications again (after restoring or recreating its database)."""
        count = app.republish_channels(self.db, _now())
        self.outbox.wake()
        return count
