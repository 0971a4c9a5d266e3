"""activities service on the real broker: stored with its event, exactly once, or not at all."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from nameko.exceptions import RemoteError
from prometheus_client import REGISTRY
from sqlalchemy import create_engine, text

from libs.common.bus.topology import SUBSCRIPTIONS
from libs.common.errors import BadRequest, Conflict, Locked, PermissionDenied, RequestExpired
from libs.common.events import OrganisationChanged, make_envelope
from libs.common.rpc import ClusterRpcProxy
from services.activities.service import ActivitiesService
from tests.interface.helpers import declare, drain, publish, wait_until

TO_INDICATORS = SUBSCRIPTIONS[0]
REPORT = {"activity_type": "caravan_tour", "start_date": "2024-05-01", "quantities": {"sessions": 3, "participants": 800},
          "external_id": "cast-2024-001", "town": "demo-town"}


ORGS = {"demo-town": "town", "cast": "body", "edu": "department"}
ACTIVITY_EVENTS = "outbox where event_type like 'activit%'"  # not the start-up reference_requested


def start_services(container_factory, settings, towns: tuple[str, ...] = ()):
    """activities alone (clock frozen at 2024-06-30): what it knows of organisations arrives as
    organisations' events, published here as organisations would."""
    config = settings.model_copy(update={"as_of": dt.date(2024, 6, 30)}).nameko_config()
    declare(settings.amqp_uri)
    container_factory(ActivitiesService, config).start()
    now = dt.datetime.now(dt.timezone.utc)
    known = ORGS | dict.fromkeys(towns, "town")
    publish(settings.amqp_uri, *(make_envelope("organisations", OrganisationChanged(
        code=code, name=code, kind=kind, changed_at=now)) for code, kind in known.items()))
    return config


def knows_the_organisations(activities, towns: tuple[str, ...] = ("demo-town",)) -> bool:
    """Observable: a report naming each town and a co-organiser validates."""
    probes = [{**REPORT, "town": town, "co_organisers": ["edu"], "external_id": f"probe-{town}"} for town in towns]
    return activities.record_activities(caller("cast"), probes, validate_only=True)["invalid"] == 0


@pytest.fixture
def rpc(container_factory, settings):
    config = start_services(container_factory, settings)
    with ClusterRpcProxy(config, timeout=10) as proxy:
        wait_until(lambda: knows_the_organisations(proxy.activities))
        yield proxy.activities


def caller(org: str, role: str = "reporter") -> dict:
    """What the gateway passes for a token of ``org`` (a department)."""
    return {"org": org, "org_kind": "department", "role": role, "token_id": 1}


def rows(settings, table: str) -> int:
    engine = create_engine(settings.database_url("activities"))
    try:
        with engine.connect() as conn:
            return conn.execute(text(f"select count(*) from {table}")).scalar()
    finally:
        engine.dispose()


def test_recorded_activity_is_published_once_with_its_envelope(rpc, settings):
    first = rpc.record_activity(caller("cast"), REPORT)
    again = rpc.record_activity(caller("cast"), REPORT)  # a department system retrying
    assert first["created"] is True and again["created"] is False
    assert again["activity_id"] == first["activity_id"]
    messages = drain(settings.amqp_uri, TO_INDICATORS, expect=2, timeout=15)
    assert len(messages) == 1
    body, headers = messages[0]
    assert body["type"] == "activity_recorded" and body["source"] == "activities"
    assert body["payload"]["activity_id"] == first["activity_id"]
    assert body["payload"]["quantities"] == {"sessions": 3.0, "participants": 800.0}
    assert headers["kepu.event_id"] == body["event_id"]
    assert rows(settings, "activity_audit") == 1
    assert rows(settings, ACTIVITY_EVENTS + " and sent_at is not null") == 1


def test_same_external_id_from_another_org_is_another_activity(rpc):
    a = rpc.record_activity(caller("cast"), REPORT)
    b = rpc.record_activity(caller("edu"), REPORT)
    assert a["activity_id"] != b["activity_id"] and b["org"] == "edu"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"activity_type": "moon_landing"}, "activity_type"),
        ({"quantities": {"sessions": -2}}, "quantities.sessions"),
        ({"quantities": {"people": 2}}, "quantities.people"),
        ({"start_date": "2024-02-30"}, "start_date"),
        ({"start_date": "2030-01-01"}, "start_date"),
        ({"start_date": "2024-12-01"}, "start_date"),  # after the (frozen) clock: not yet happened
        ({"town": "no-such-town"}, "town"),
        ({"town": "edu"}, "town"),
        ({"co_organisers": ["edu", "ghost"]}, "co_organisers.1"),
    ],
)
def test_invalid_report_names_the_field_and_stores_nothing(rpc, settings, change, field):
    with pytest.raises(BadRequest) as info:
        rpc.record_activity(caller("cast"), {**REPORT, **change})
    assert field in [v.field for v in info.value.violations], info.value.violations
    assert all(v.code for v in info.value.violations)
    assert rows(settings, "activities") == 0 and rows(settings, ACTIVITY_EVENTS) == 0
    assert drain(settings.amqp_uri, TO_INDICATORS, timeout=0.3) == []


def test_an_activity_is_stored_with_its_event_or_not_at_all(rpc, settings, monkeypatch):
    """Activity, audit row and outbox event commit in one transaction: if staging the event
    fails, nothing of the activity is left behind (so no activity is ever stored without its event)."""
    from services.activities import repository

    def outbox_fails(*args, **kwargs):
        raise RuntimeError("outbox unavailable (simulated)")

    monkeypatch.setattr(repository, "add_to_outbox", outbox_fails)
    with pytest.raises(RemoteError, match="outbox unavailable"):
        rpc.record_activity(caller("cast"), REPORT)
    assert rows(settings, "activities") == 0 and rows(settings, "activity_audit") == 0
    assert rows(settings, ACTIVITY_EVENTS) == 0


@pytest.mark.parametrize("change", [{"quantities": {"sessions": 4}}, {"start_date": "2024-05-02"}])
def test_reusing_an_external_id_for_other_content_is_a_conflict(rpc, settings, change):
    rpc.record_activity(caller("cast"), REPORT)
    with pytest.raises(Conflict) as info:
        rpc.record_activity(caller("cast"), {**REPORT, **change})
    assert [(v.field, v.code) for v in info.value.violations] == [("external_id", "external_id_reused")]
    assert rows(settings, "activities") == 1


def test_a_report_arriving_after_its_deadline_is_not_stored(rpc, settings):
    with pytest.raises(RequestExpired):
        rpc.record_activity(caller("cast"), REPORT, deadline=time.time() - 1)
    assert rows(settings, "activities") == 0


def test_events_wait_in_the_outbox_while_the_broker_refuses(container_factory, settings, monkeypatch):
    """A relay that cannot publish keeps the event stored, shows the backlog on its gauge, and
    publishes it later."""
    from libs.common.bus import publisher

    calls = {"n": 0}
    backlog_seen = []
    real_publish = publisher.EnvelopePublisher.publish_stored

    def flaky(self, events, exchange=None):
        if not any(e.event_type.startswith("activit") for e in events):  # the test's own, the start-up request
            return real_publish(self, events, exchange)
        calls["n"] += 1
        backlog_seen.append(pending_gauge())
        if calls["n"] <= 2:
            raise ConnectionError("broker unreachable (simulated in-process: the broker is real)")
        return real_publish(self, events, exchange)

    monkeypatch.setattr(publisher.EnvelopePublisher, "publish_stored", flaky)
    config = start_services(container_factory, settings)
    with ClusterRpcProxy(config, timeout=10) as proxy:
        wait_until(lambda: knows_the_organisations(proxy.activities))
        proxy.activities.record_activity(caller("cast"), REPORT)
    messages = drain(settings.amqp_uri, TO_INDICATORS, expect=1, timeout=10)
    assert len(messages) == 1 and calls["n"] >= 3
    assert backlog_seen[1:3] == [1.0, 1.0]  # after each failed attempt the gauge showed the waiting event
    wait_until(lambda: pending_gauge() == 0.0)


def pending_gauge() -> float | None:
    return REGISTRY.get_sample_value("kepu_outbox_pending", {"service": "activities"})


def test_a_batch_is_stored_in_one_transaction_with_one_event_carrying_every_activity(rpc, settings):
    batch = [{**REPORT, "external_id": f"batch-{i}", "start_date": f"2024-05-0{i}"} for i in range(1, 6)]
    result = rpc.record_activities(caller("cast"), batch)
    assert (result["created"], result["stored"]) == (5, True)
    (message,) = drain(settings.amqp_uri, TO_INDICATORS, expect=1, timeout=15)
    assert message[0]["type"] == "activities_recorded"
    assert sorted(a["activity_id"] for a in message[0]["payload"]["activities"]) == sorted(
        r["activity"]["activity_id"] for r in result["results"])
    assert rows(settings, "activity_audit") == 5


def test_a_batch_that_fails_half_way_leaves_nothing_behind(rpc, settings, monkeypatch):
    """Activities and audit entries are staged, then staging the batch's event fails."""
    from services.activities import repository

    def outbox_unavailable(*args, **kwargs):
        raise RuntimeError("outbox unavailable (simulated)")

    monkeypatch.setattr(repository, "add_to_outbox", outbox_unavailable)
    batch = [{**REPORT, "external_id": f"half-{i}"} for i in range(5)]
    with pytest.raises(RemoteError, match="outbox unavailable"):
        rpc.record_activities(caller("cast"), batch)
    assert rows(settings, "activities") == 0 and rows(settings, "activity_audit") == 0
    assert rows(settings, ACTIVITY_EVENTS) == 0


def test_a_correction_publishes_the_next_revision_and_a_retraction_the_one_after(rpc, settings):
    first = rpc.record_activity(caller("cast"), REPORT)
    corrected = rpc.correct_activity(caller("cast"), first["activity_id"], 1,
                                     {**REPORT, "quantities": {"sessions": 5}}, "typo")
    retracted = rpc.retract_activity(caller("cast"), first["activity_id"], 2, "held twice")
    assert (corrected["revision"], retracted["revision"], retracted["retracted"]) == (2, 3, True)
    events = [m[0]["payload"] for m in drain(settings.amqp_uri, TO_INDICATORS, expect=3, timeout=15)]
    assert [(e["revision"], e["retracted"], e["quantities"].get("sessions")) for e in events] == [
        (1, False, 3.0), (2, False, 5.0), (3, True, 5.0)]
    with pytest.raises(PermissionDenied):
        rpc.correct_activity(caller("edu"), first["activity_id"], 3, REPORT)
    history = rpc.activity_history(caller("cast"), first["activity_id"])
    assert [(h["action"], h["by_role"], h["reason"]) for h in history] == [
        ("recorded", "reporter", None), ("corrected", "reporter", "typo"), ("retracted", "reporter", "held twice")]


def test_a_group_of_single_reports_answers_each_as_if_sent_alone(rpc, settings):
    """What the gateway sends for concurrent ReportActivity calls of one token: one transaction,
    one event, and per report the answer (or the refusal) the single call would have got."""
    stored = rpc.record_activity(caller("cast"), REPORT)
    group = [{**REPORT, "external_id": "g-1"}, REPORT, {**REPORT, "external_id": "g-1"},
             {**REPORT, "external_id": "g-bad", "quantities": {"sessions": -1}},
             {**REPORT, "quantities": {"sessions": 9}},
             {**REPORT, "external_id": "x" * 200},  # bad input in the external_id field is not a conflict
             {**REPORT, "external_id": "g-1", "quantities": {"sessions": 7}}]  # a concurrent call's id: a conflict
    answers = rpc.record_activity_group(caller("cast"), group)
    refusals = {i: (a["refusal"], [(f, c) for f, c, _ in a["violations"]]) for i, a in enumerate(answers)
                if a["refusal"]}
    assert refusals == {3: ("BadRequest", [("quantities.sessions", "greater_than_equal")]),
                        4: ("Conflict", [("external_id", "external_id_repeated")]),  # row 1 has its id
                        5: ("BadRequest", [("external_id", "string_too_long")]),  # bad input: not a conflict
                        6: ("Conflict", [("external_id", "external_id_repeated")])}
    assert answers[0]["created"] is True and answers[2] == {**answers[0], "created": False}
    assert answers[1]["activity"]["activity_id"] == stored["activity_id"] and answers[1]["created"] is False
    messages = drain(settings.amqp_uri, TO_INDICATORS, expect=2, timeout=15)
    assert [m[0]["type"] for m in messages] == ["activity_recorded", "activity_recorded"]
    assert rows(settings, "activities") == 2


def test_an_approved_period_refuses_reports_dated_in_it_over_the_bus_until_reopened(rpc):
    """Reporting periods (issue 19 groundwork): a nil report, the office's approval locking the
    quarter (the refusal arrives as ``Locked``, with its violation), and reopening."""
    cast = {**caller("cast"), "org_kind": "body"}
    office = {"org": "leading-group-office", "org_kind": "office", "role": "admin", "token_id": 9,
              "account": "office-li"}
    submitted = rpc.submit_period(cast, "2024Q1", True)
    assert (submitted["state"], submitted["nil"]) == ("late", True)  # on 2024-06-30, after its April deadline
    rpc.approve_period(office, "cast", "2024Q1")
    locked = {**REPORT, "start_date": "2024-03-01", "external_id": "cast-locked-1"}
    with pytest.raises(Locked) as refused:
        rpc.record_activity(cast, locked)
    assert refused.value.violations[0].code == "period_locked"
    status = {s["period"]: s["state"] for s in rpc.reporting_status(cast, 2024)["periods"]}
    assert status == {"2024Q1": "late", "2024Q2": "open", "2024Q3": "open", "2024Q4": "open"}
    rpc.reopen_period(office, "cast", "2024Q1", "补报一场活动")
    assert rpc.record_activity(cast, locked)["created"] is True
