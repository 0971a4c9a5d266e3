"""nameko service ``organisations``: the org hierarchy, the tokens departments report with, and
people's accounts and sessions (the web portal signs in through the gateway).

Thin wiring over ``app`` (the use cases)."""
from __future__ import annotations

import datetime as dt

from nameko.extensions import DependencyProvider
from nameko.timer import timer
from sqlalchemy.orm import Session

from libs.common.consumers import on_events
from libs.common.db import Database
from libs.common.events import REFERENCE_REQUESTED, Envelope
from libs.common.health import HealthMixin
from libs.common.metrics import MetricsEndpoint
from libs.common.outbox import OutboxRelay
from libs.common.plan.atlas import load_atlas
from libs.common.plan.provider import PlanMixin
from libs.common.rpc import rpc
from services.organisations import app
from services.organisations.metrics import publish_orgs
from services.organisations.models import OutboxEvent
from services.organisations.passwords import Passwords
from services.organisations.settings import OrganisationSettings


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class People(DependencyProvider):
    """How people sign in (``OrganisationSettings``, the password hasher), made once per
    container: the hasher's dummy hash (for unknown accounts) is computed once, not per call."""

    def setup(self) -> None:
        self.settings = OrganisationSettings.from_config(self.container.config)
        self.policy = app.PeoplePolicy(Passwords(), self.settings.sign_in_limits, self.settings.session_limits)

    def get_dependency(self, worker_ctx) -> app.PeoplePolicy:
        return self.policy


class OrganisationsService(HealthMixin, PlanMixin):
    name = "organisations"

    db: Session = Database("organisations", on_open=lambda session, settings: app.start(
        session, load_atlas(settings.plan_file), _now()))
    metrics = MetricsEndpoint("organisations")
    outbox = OutboxRelay(OutboxEvent, "organisations")
    people: app.PeoplePolicy = People()

    @timer(interval=30, eager=True)
    def count_orgs(self) -> None:
        """The registry on /metrics (towns registered since appear within half a minute)."""
        publish_orgs(app.list_orgs(self.db))
        self.db.rollback()

    @rpc
    def reload_plan(self) -> int:
        """Upsert the organisations of the (changed) plan files; returns how many they name."""
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
        """Who a token or session stands for, given its sha256 (the gateway never sends it itself)."""
        return app.authenticate(self.db, token_hash, _now(), self.people.sessions)

    # --- people: accounts (operators) and sessions (the gateway) -------------------------------
    @rpc
    def add_account(self, org: str, account: str, display_name: str, role: str, setup_hash: str,
                    setup_expires: str = "72h") -> dict:
        """A person's account, to be set up with the code whose sha256 is ``setup_hash`` (the
        operator's command made it and shows the link)."""
        return app.add_account(self.db, org, account, display_name, role, setup_hash, setup_expires, _now())

    @rpc
    def reset_account(self, account: str, setup_hash: str, setup_expires: str = "72h") -> dict:
        return app.reset_account(self.db, account, setup_hash, setup_expires, _now())

    @rpc
    def describe_setup(self, setup_hash: str) -> dict:
        return app.describe_setup(self.db, setup_hash, _now())

    @rpc
    def complete_setup(self, setup_hash: str, password: str) -> dict:
        return app.complete_setup(self.db, setup_hash, password, self.people, _now())

    @rpc
    def sign_in(self, account: str, password: str, address: str, session_hash: str) -> dict:
        """A new session whose credential has the sha256 ``session_hash`` (the gateway made it)."""
        return app.sign_in(self.db, account, password, address, session_hash, self.people, _now())

    @rpc
    def sign_out(self, session_hash: str) -> bool:
        return app.sign_out(self.db, session_hash, _now())

    @rpc
    def list_accounts(self, org: str | None = None) -> list[dict]:
        return app.list_accounts(self.db, org, self.people.sessions, _now())

    @rpc
    def disable_account(self, account: str) -> dict:
        return app.disable_account(self.db, account, _now())

    @rpc
    def enable_account(self, account: str) -> dict:
        return app.enable_account(self.db, account, _now())

    @rpc
    def list_sessions(self, account: str | None = None, org: str | None = None, active_only: bool = True) -> list[dict]:
        return app.list_sessions(self.db, account, org, active_only, self.people.sessions, _now())

    @rpc
    def end_sessions(self, account: str | None = None, session_id: int | None = None) -> int:
        return app.end_sessions(self.db, account, session_id, _now())

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
