"""The notifications use cases besides digest rounds, on SQLite in memory with the fictional plan:
reference data, silences, listings, gauges and the delivery worker's steps (no broker, milliseconds)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from libs.common.errors import BadRequest
from libs.common.events import REFERENCE_REQUESTED, Envelope, OrgChannelChanged
from services.notifications import app
from services.notifications.domain.deliveries import ChannelGone, RetryPolicy, Target
from services.notifications.models import Channel, Delivery, OutboxEvent
from services.notifications.settings import AlertRoute
from tests.unit.notifications.county import (
    ASSOCIATION,
    BOOTHS,
    HOUR,
    KEY,
    LIBRARY,
    MINUTE,
    OFFICE,
    County,
    change,
)

POLICY = RetryPolicy(base=10, cap=25, attempts=3)


def channel(channel_id: int, at: dt.datetime, org: str = ASSOCIATION, target: str = "https://example.org/hook",
            removed: bool = False, kind: str = "webhook") -> OrgChannelChanged:
    return OrgChannelChanged(channel_id=channel_id, org=org, kind=kind, sealed_target=KEY.seal(target),
                             removed=removed, changed_at=at)


def requests_staged(county: County) -> list[Envelope]:
    return [Envelope.model_validate_json(row.body) for row in county.session.scalars(
        select(OutboxEvent).where(OutboxEvent.event_type == REFERENCE_REQUESTED))]


# --- reference data ---------------------------------------------------------------------------

def test_a_fresh_database_asks_for_the_channels_once():
    county = County()
    assert app.ask_for_reference(county.session, county.now) is True
    assert app.ask_for_reference(county.session, county.now + HOUR) is False  # the next start: asked already
    (request,) = requests_staged(county)
    assert (request.source, request.typed_payload().service) == ("notifications", "notifications")


def test_a_database_that_has_channels_does_not_ask():
    county = County()
    app.apply_channel_changes(county.session, [channel(1, county.now)])
    assert app.ask_for_reference(county.session, county.now) is False
    assert requests_staged(county) == []


def test_a_channel_snapshot_applied_twice_or_late_changes_nothing():
    county = County()
    app.apply_channel_changes(county.session, [channel(1, county.now), channel(1, county.now + MINUTE,
                                                                               target="https://example.org/new")])
    snapshot = [channel(1, county.now)]  # organisations answering a request: older than what we hold
    app.apply_channel_changes(county.session, snapshot)
    app.apply_channel_changes(county.session, snapshot)
    (row,) = county.session.scalars(select(Channel))
    assert (KEY.open(row.sealed_target), row.removed) == ("https://example.org/new", False)
    app.apply_channel_changes(county.session, [channel(1, county.now + HOUR, removed=True)])
    assert county.session.get(Channel, 1).removed


# --- silences and listings ----------------------------------------------------------------------

def test_a_silence_is_listed_while_in_force_and_mutes_the_alert_it_names():
    county = County()
    county.feed(change())
    made = app.silence(county.session, {"indicator": BOOTHS, "hours": 2, "reason": "展位检修", "created_by": "ops"},
                       county.rules, county.now)
    assert (made.matches, made.active) == (f"indicator {BOOTHS}", True)
    (alert,) = app.list_alerts(county.session, county.now)
    assert alert.silenced_by == [made.silence_id] and alert.silenced_until == made.ends_at
    assert [s.silence_id for s in app.list_silences(county.session, county.now)] == [made.silence_id]
    assert app.expire_silence(county.session, made.silence_id, county.now + HOUR) is True
    assert app.expire_silence(county.session, made.silence_id, county.now + HOUR) is False  # ended already
    assert app.list_silences(county.session, county.now + HOUR) == []
    assert [s.active for s in app.list_silences(county.session, county.now + HOUR, expired=True)] == [False]
    assert app.list_alerts(county.session, county.now + HOUR)[0].silenced_by == []


def test_a_silence_of_one_organisation_leaves_the_alert_unmuted_in_the_list():
    county = County()
    county.feed(change())
    app.silence(county.session, {"org": OFFICE, "hours": 1, "reason": "另行跟踪", "created_by": "ops"},
                county.rules, county.now)
    assert app.list_alerts(county.session, county.now)[0].silenced_by == []


@pytest.mark.parametrize(("spec", "says"), [
    ({"hours": 1, "reason": "all", "created_by": "ops"}, "name an alert"),
    ({"indicator": BOOTHS, "hours": 0, "reason": "zero", "created_by": "ops"}, "hours:"),
    ({"indicator": "caravan-tours", "hours": 1, "reason": "not ours", "created_by": "ops"},
     "indicator: the plan has no indicator 'caravan-tours'"),
    ({"org": "cast", "hours": 1, "reason": "not ours", "created_by": "ops"}, "org: no alert goes to 'cast'"),
    ({"alert_id": 99, "hours": 1, "reason": "none", "created_by": "ops"}, "alert_id: no alert 99"),
])
def test_a_silence_that_would_silence_nothing_is_refused_with_its_field(spec, says):
    county = County()
    with pytest.raises(BadRequest, match=says):
        app.silence(county.session, spec, county.rules, county.now)
    assert app.list_silences(county.session, county.now, expired=True) == []


def test_an_organisation_named_only_by_a_route_may_be_silenced():
    county = County(routes=(AlertRoute(severity="critical", to=["county-inspectors"]),))
    made = app.silence(county.session, {"org": "county-inspectors", "hours": 1, "reason": "巡查暂停",
                                        "created_by": "ops"}, county.rules, county.now)
    assert made.org == "county-inspectors"


def test_alerts_are_listed_by_state_and_indicator_with_their_recipients():
    county = County()
    county.feed(change(), change("steering-meetings", window="2025Q3", responsible=(LIBRARY,)),
                change("steering-meetings", window="2025Q4", status="on_track"))
    county.feed(change(status="on_track", actual=9))
    firing = app.list_alerts(county.session, county.now, state="firing")
    assert [(a.indicator, a.window, a.recipients) for a in firing] == [
        ("steering-meetings", "2025Q3", [LIBRARY, OFFICE])]
    (resolved,) = app.list_alerts(county.session, county.now, indicator=BOOTHS)
    assert (resolved.state, resolved.actual, resolved.times_opened) == ("resolved", 9, 1)


def test_the_gauges_count_firing_alerts_per_recipient_and_parked_deliveries_per_kind():
    county = County()
    county.feed(change(status="missed"), change("steering-meetings", window="2025Q3"))
    county.round(after=MINUTE)
    gauges = app.read_gauges(county.session, county.rules)
    assert gauges.firing == {("critical", ASSOCIATION, "qinglan"): 1, ("critical", OFFICE, "qinglan"): 1,
                             ("warning", ASSOCIATION, "qinglan"): 1, ("warning", OFFICE, "qinglan"): 1}
    assert gauges.parked == {}


# --- the delivery worker's steps -----------------------------------------------------------------

def delivered(county: County) -> County:
    """A county with a digest to the association and its webhook, due now."""
    app.apply_channel_changes(county.session, [channel(7, county.now)])
    county.feed(change())
    county.round(after=MINUTE)
    return county


def test_a_claimed_delivery_is_handed_out_once_with_what_its_sender_needs():
    county = delivered(County())
    ids = app.claim_deliveries(county.session, county.now, "w1", 10)
    assert len(ids) == 3  # the office's log, the association's log and webhook
    assert app.claim_deliveries(county.session, county.now, "w2", 10) == []  # claimed rows are not handed out twice
    jobs = {app.load_job(county.session, i).channel_key: app.load_job(county.session, i) for i in ids}
    hook = jobs["channel-7"]
    assert hook.org == ASSOCIATION and hook.attempt == 1 and hook.digest["title"].startswith("【科普工作预警】青岚县科协")
    assert hook.key.startswith(f"kepu-{ASSOCIATION}-news-1-") and hook.key.endswith("-channel-7")
    assert app.target_of(county.session, hook, "", KEY.open) == Target("webhook", "https://example.org/hook")
    assert app.target_of(county.session, jobs["log"], "", KEY.open) == Target("log")


def test_a_failing_delivery_backs_off_then_parks_and_a_retry_revives_it():
    county = delivered(County())
    (first, *_) = app.claim_deliveries(county.session, county.now, "w1", 10)
    outcomes = [app.record_attempt(county.session, first, county.now, 0.1, "HTTP 502", county.now, POLICY,
                                   rand=lambda: 1.0) for _ in range(3)]
    assert outcomes == ["failed", "failed", "parked"]
    row = county.session.get(Delivery, first)
    assert row.status == "parked" and row.attempts == 3 and row.last_error == "HTTP 502"
    (failed,) = app.list_deliveries(county.session, failed_only=True)
    assert (failed.delivery_id, failed.status, failed.next_attempt_at) == (first, "parked", None)
    assert app.read_gauges(county.session, county.rules).parked == {row.channel_kind: 1}
    assert app.retry_deliveries(county.session, county.now) == 1
    assert row.status == "pending" and row.attempts == 0


def test_a_sent_delivery_is_listed_as_sent_and_never_due_again():
    county = delivered(County())
    ids = app.claim_deliveries(county.session, county.now, "w1", 10)
    assert app.record_attempt(county.session, ids[0], county.now, 0.2, None, county.now, POLICY) == "sent"
    sent = next(d for d in app.list_deliveries(county.session) if d.delivery_id == ids[0])
    assert sent.status == "sent" and sent.sent_at == county.now.isoformat() and sent.attempts == 1
    assert ids[0] not in app.claim_deliveries(county.session, county.now + HOUR, "w2", 10)


def test_a_delivery_to_a_removed_channel_is_gone_and_parked_at_once():
    county = delivered(County())
    ids = app.claim_deliveries(county.session, county.now, "w1", 10)
    hook = next(j for j in map(lambda i: app.load_job(county.session, i), ids) if j.channel_key == "channel-7")
    app.apply_channel_changes(county.session, [channel(7, county.now + HOUR, removed=True)])
    with pytest.raises(ChannelGone):
        app.target_of(county.session, hook, "", KEY.open)
    outcome = app.record_attempt(county.session, hook.delivery_id, county.now, 0.0, "channel-7 was removed",
                                 county.now, RetryPolicy(10, 60, 8), final=True)
    assert outcome == "parked"


def test_an_attempt_on_a_delivery_no_longer_stored_is_refused():
    county = County()
    with pytest.raises(LookupError):
        app.record_attempt(county.session, 404, county.now, 0.0, None, county.now, POLICY)


@pytest.mark.parametrize(("attempt", "rand", "pause"), [(1, 0.0, 5), (1, 1.0, 10), (2, 1.0, 20), (3, 1.0, 25),
                                                        (9, 0.0, 12.5)])
def test_backoff_doubles_with_jitter_up_to_a_cap(attempt, rand, pause):
    assert RetryPolicy(base=10, cap=25, attempts=5).pause(attempt, lambda: rand) == pause
