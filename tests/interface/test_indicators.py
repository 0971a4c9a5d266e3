"""indicators service on the real broker: counted exactly once, status changes published."""
from __future__ import annotations

import datetime as dt

import pytest
from nameko.testing.services import entrypoint_waiter

from libs.common.bus.topology import SUBSCRIPTIONS
from libs.common.consumers import BatchEventHandler
from libs.common.events import ActivityRecorded, Envelope, make_envelope
from libs.common.rpc import ClusterRpcProxy
from services.indicators.service import IndicatorsService
from tests.interface.helpers import dead_letters, declare, drain_until, publish, wait_until

TO_NOTIFICATIONS = SUBSCRIPTIONS[1]


def caravan(sessions: float, activity_id: str = "act-1", revision: int = 1, day=dt.date(2024, 5, 1)) -> Envelope:
    return make_envelope("activities", ActivityRecorded(
        activity_id=activity_id, revision=revision, org="cast", activity_type="caravan_tour", town="demo-town",
        start_date=day, end_date=day, quantities={"sessions": sessions, "participants": 100}))


@pytest.fixture
def indicators(container_factory, settings):
    config = settings.model_copy(update={"as_of": dt.date(2024, 6, 30)}).nameko_config()
    declare(settings.amqp_uri)
    container = container_factory(IndicatorsService, config)
    container.start()
    with ClusterRpcProxy(config, timeout=10) as proxy:
        yield container, proxy.indicators


def value(rpc, scope="dangshan", window="2024") -> float:
    rows = rpc.get_progress("caravan-tours", scope)
    return next((r["actual"] for r in rows if r["window"] == window), 0.0)


def handle(container, *envelopes, amqp_uri):
    """Publish and wait until the handler ran; an error in it fails the test (``get`` re-raises),
    so a duplicate that is only absorbed by a failing, retried commit does not pass as counted once."""
    with entrypoint_waiter(container, "handle_activity_recorded", timeout=10) as result:
        publish(amqp_uri, *envelopes)
    result.get()


def test_activity_counts_in_region_org_and_town(indicators, settings):
    container, rpc = indicators
    handle(container, caravan(3), amqp_uri=settings.amqp_uri)
    assert value(rpc) == 3 and value(rpc, "org:cast") == 3 and value(rpc, "town:demo-town") == 3


def test_duplicate_event_counts_once(indicators, settings):
    container, rpc = indicators
    env = caravan(3)
    handle(container, env, amqp_uri=settings.amqp_uri)
    handle(container, env, amqp_uri=settings.amqp_uri)
    assert value(rpc) == 3


def lose_the_first_ack(monkeypatch) -> list[tuple[int, bool]]:
    """The consumer commits a batch, then its connection drops before the ack reaches the broker.
    Returns (batch size, all redelivered) of every ack attempt."""
    acks: list[tuple[int, bool]] = []
    real = BatchEventHandler._ack

    def lose_first(self, messages):
        acks.append((len(messages), all(m.delivery_info.get("redelivered") for m in messages)))
        if len(acks) == 1:
            raise ConnectionResetError("connection lost before the ack (simulated in-process; the broker is real)")
        return real(self, messages)

    monkeypatch.setattr(BatchEventHandler, "_ack", lose_first)
    return acks


def test_broker_redelivery_after_a_lost_ack_counts_once(indicators, settings, monkeypatch):
    """The handler commits, then its ack is lost: the broker redelivers, nothing is doubled."""
    container, rpc = indicators
    acks = lose_the_first_ack(monkeypatch)
    publish(settings.amqp_uri, caravan(3))
    wait_until(lambda: len(acks) >= 2)
    # the broker really delivered it a second time, and the handler skipped it cleanly
    assert acks == [(1, False), (1, True)]
    assert value(rpc) == 3


def test_a_500_event_batch_whose_ack_is_lost_after_its_commit_counts_once(container_factory, settings, monkeypatch):
    config = settings.model_copy(update={"as_of": dt.date(2024, 6, 30), "batch_wait": 5.0}).nameko_config()
    declare(settings.amqp_uri)
    acks = lose_the_first_ack(monkeypatch)
    publish(settings.amqp_uri, *[caravan(1, activity_id=f"act-{i}") for i in range(500)])
    container_factory(IndicatorsService, config).start()  # the 500 wait: the first batch takes them all
    with ClusterRpcProxy(config, timeout=10) as proxy:
        wait_until(lambda: sum(n for n, _ in acks[1:]) >= 500, timeout=30)
        assert acks[0] == (500, False) and all(redelivered for _, redelivered in acks[1:])
        assert value(proxy.indicators) == 500 and value(proxy.indicators, "org:cast") == 500


def test_a_poison_event_in_a_batch_is_parked_and_the_rest_is_counted(container_factory, settings):
    config = settings.model_copy(update={"as_of": dt.date(2024, 6, 30), "batch_wait": 5.0}).nameko_config()
    declare(settings.amqp_uri)
    bad = caravan(3).model_copy(update={"payload": {"activity_id": "x"}})
    publish(settings.amqp_uri, *[caravan(1, activity_id=f"act-{i}") for i in range(199)], bad)
    container_factory(IndicatorsService, config).start()
    with ClusterRpcProxy(config, timeout=10) as proxy:
        wait_until(lambda: value(proxy.indicators) == 199, timeout=30)
        (parked,) = dead_letters(settings.amqp_uri, timeout=30)
        assert parked[0]["event_id"] == bad.event_id


def test_correction_replaces_and_old_revision_is_ignored(indicators, settings):
    container, rpc = indicators
    handle(container, caravan(3, revision=1), amqp_uri=settings.amqp_uri)
    handle(container, caravan(7, revision=2), amqp_uri=settings.amqp_uri)
    handle(container, caravan(5, revision=1), amqp_uri=settings.amqp_uri)  # late, older: ignored
    assert value(rpc) == 7 and value(rpc, "org:cast") == 7


def caravan_changes(amqp_uri: str, want: int | None = None, until=None, timeout: float | None = None) -> list:
    """Caravan-tour status changes off the notifications queue, other indicators' skipped.

    With ``want`` (a count) or ``until`` (a predicate on the changes so far) it waits up to 15 s
    for them; with neither it collects for ``timeout`` (0.5 s) to show that nothing comes."""
    def changes(bodies: list) -> list:
        typed = [Envelope.model_validate(b).typed_payload() for b, _ in bodies]
        return [c for c in typed if c.indicator == "caravan-tours"]

    if want is not None:
        until = lambda got: len(got) >= want  # noqa: E731
    done = (lambda bodies: until(changes(bodies))) if until else (lambda bodies: False)
    wait = timeout if timeout is not None else (15.0 if until else 0.5)
    return changes(drain_until(amqp_uri, TO_NOTIFICATIONS, done, wait))


STARTUP = 4  # as of 2024-06-30: 2021, 2022 and 2023 missed, 2024 lagging


def test_start_up_judges_every_started_window_then_recovery_is_published(indicators, settings):
    container, rpc = indicators
    # as of 2024-06-30, with nothing reported: past years missed, this year lagging (0 of 4.97 expected)
    startup = caravan_changes(settings.amqp_uri, want=STARTUP)
    assert [(c.window, c.status) for c in startup] == [
        ("2021", "missed"), ("2022", "missed"), ("2023", "missed"), ("2024", "lagging")]
    assert startup[-1].responsible == ["cast"] and startup[-1].expected == pytest.approx(4.97, abs=0.01)
    handle(container, caravan(4), amqp_uri=settings.amqp_uri)
    assert [(c.status, c.previous) for c in caravan_changes(settings.amqp_uri, want=1)] == [("at_risk", "lagging")]
    handle(container, caravan(6, activity_id="act-2"), amqp_uri=settings.amqp_uri)
    assert [(c.status, c.previous) for c in caravan_changes(settings.amqp_uri, want=1)] == [("achieved", "at_risk")]


def test_lag_grows_with_the_clock_alone(indicators, settings):
    container, rpc = indicators
    caravan_changes(settings.amqp_uri, want=STARTUP)
    handle(container, caravan(5), amqp_uri=settings.amqp_uri)
    assert [c.status for c in caravan_changes(settings.amqp_uri, want=1)] == ["on_track"]
    rpc.evaluate("2024-07-01")
    assert caravan_changes(settings.amqp_uri) == []  # 5 of 10 by mid-year is on pace
    rpc.evaluate("2024-10-01")  # expected 7.5 by October: lagging
    assert [(c.status, c.as_of) for c in caravan_changes(settings.amqp_uri, want=1)] == [
        ("lagging", dt.date(2024, 10, 1))]
    rpc.evaluate("2025-01-01")  # the year closed below target
    assert [(c.window, c.status) for c in caravan_changes(settings.amqp_uri, want=2)] == [
        ("2024", "missed"), ("2025", "at_risk")]


def test_an_invalid_event_is_parked_at_once_no_retry_can_help_it(indicators, settings):
    container, rpc = indicators
    bad = caravan(3).model_copy(update={"payload": {"activity_id": "x"}})  # payload misses fields
    publish(settings.amqp_uri, bad)
    parked = dead_letters(settings.amqp_uri)
    assert len(parked) == 1
    body, headers = parked[0]
    assert body["event_id"] == bad.event_id
    assert "validation error" in headers["x-kepu-error"]
    assert headers["x-kepu-original-queue"] == SUBSCRIPTIONS[0].queue_name
    assert "x-kepu-attempts" not in headers  # the first attempt: not retried


def test_a_failing_event_is_tried_three_times_then_parked(indicators, settings, monkeypatch):
    from services.indicators import app

    def database_down(*args, **kwargs):
        raise RuntimeError("database unavailable (simulated)")

    monkeypatch.setattr(app, "count_activities", database_down)
    publish(settings.amqp_uri, caravan(3))
    (parked,) = dead_letters(settings.amqp_uri)
    assert parked[1]["x-kepu-attempts"] == 3 and "database unavailable" in parked[1]["x-kepu-error"]


def test_a_passing_failure_is_retried_and_counted_once(indicators, settings, monkeypatch):
    from services.indicators import app

    container, rpc = indicators
    real_apply, calls = app.count_activities, []

    def fails_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database is locked (simulated)")
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(app, "count_activities", fails_once)
    publish(settings.amqp_uri, caravan(3))
    wait_until(lambda: value(rpc) == 3)
    assert len(calls) == 2 and dead_letters(settings.amqp_uri, expect=1, timeout=0.5) == []


def test_a_retry_copy_that_cannot_be_made_leaves_the_event_with_the_broker(indicators, settings, monkeypatch):
    """The handler fails, and so does sending its retry copy (broker trouble): the original is
    requeued, not acked, so the broker delivers it again and it is counted once."""
    from libs.common import consumers
    from services.indicators import app

    container, rpc = indicators
    real_apply, applied, sends = app.count_activities, [], []

    def fails_once(*args, **kwargs):
        applied.append(1)
        if len(applied) == 1:
            raise RuntimeError("database is locked (simulated)")
        return real_apply(*args, **kwargs)

    def cannot_send(*args, **kwargs):
        sends.append(1)
        raise ConnectionError("broker unreachable (simulated in-process: the broker is real)")

    monkeypatch.setattr(app, "count_activities", fails_once)
    monkeypatch.setattr(consumers, "send_copy", cannot_send)
    publish(settings.amqp_uri, caravan(3))
    wait_until(lambda: value(rpc) == 3)
    assert len(applied) == 2 and len(sends) == 1


def test_parked_event_is_listed_and_counted_once_when_replayed(indicators, settings, monkeypatch):
    """A cause that fails twice parks the event; once fixed, the operator replays it."""
    from libs.common.bus.dead_letters import peek_dead_letters, replay_dead_letters
    from services.indicators import app

    container, rpc = indicators
    real_apply = app.count_activities

    def database_down(*args, **kwargs):
        raise RuntimeError("database unavailable (simulated)")

    monkeypatch.setattr(app, "count_activities", database_down)
    env = caravan(3)
    publish(settings.amqp_uri, env)
    wait_until(lambda: peek_dead_letters(settings.amqp_uri))
    (parked,) = peek_dead_letters(settings.amqp_uri)  # listing leaves it parked
    assert parked["body"]["json"]["event_id"] == env.event_id and "database unavailable" in parked["error"]
    assert parked["queue"] == SUBSCRIPTIONS[0].queue_name and value(rpc) == 0

    monkeypatch.setattr(app, "count_activities", real_apply)  # the cause is fixed
    with entrypoint_waiter(container, "handle_activity_recorded", timeout=10):
        assert replay_dead_letters(settings.amqp_uri, settings.operator_users).replayed == 1
    assert value(rpc) == 3 and peek_dead_letters(settings.amqp_uri) == []
    assert replay_dead_letters(settings.amqp_uri, settings.operator_users).replayed == 0


def observe(indicator_type: str, org: str, people: float, day: dt.date, activity_id: str) -> Envelope:
    return make_envelope("activities", ActivityRecorded(
        activity_id=activity_id, org=org, activity_type=indicator_type, start_date=day, end_date=day,
        quantities={"people": people}))


def test_stock_sums_each_reporters_latest_observation(indicators, settings):
    """Registered volunteers: 县科协 and 县民政局 keep registers; each reports its own total."""
    container, rpc = indicators
    handle(container, observe("volunteer_registry", "cast", 15000, dt.date(2024, 3, 1), "v1"),
           observe("volunteer_registry", "civil-affairs", 45, dt.date(2024, 4, 1), "v2"),
           observe("volunteer_registry", "cast", 15200, dt.date(2024, 5, 1), "v3"), amqp_uri=settings.amqp_uri)
    wait_until(lambda: (p := rpc.get_progress("registered-volunteers", "dangshan")) and p[0]["actual"] == 15245)
    assert rpc.get_progress("registered-volunteers", "org:cast")[0]["actual"] == 15200


def test_figures_of_a_lagging_window_are_sent_on_so_alerts_stay_current(indicators, settings):
    container, rpc = indicators
    caravan_changes(settings.amqp_uri, want=STARTUP)  # start-up: 2024 lagging with 0
    handle(container, caravan(1), amqp_uri=settings.amqp_uri)
    (update,) = caravan_changes(settings.amqp_uri, want=1)
    assert (update.previous, update.status, update.actual) == ("lagging", "lagging", 1)


def test_moving_a_frozen_clock_back_resets_windows_that_have_not_started(indicators, settings):
    container, rpc = indicators
    rpc.evaluate("2025-02-01")
    caravan_changes(settings.amqp_uri, until=lambda got: any(c.window == "2025" for c in got))
    rpc.evaluate("2024-06-30")
    wanted = {("2025", "not_started"), ("2024", "lagging")}
    changes = {(c.window, c.status) for c in caravan_changes(
        settings.amqp_uri, until=lambda got: wanted <= {(c.window, c.status) for c in got})}
    assert ("2025", "not_started") in changes and ("2024", "lagging") in changes


def test_a_forged_event_with_an_absurd_amount_is_parked_with_the_reason_never_counted(container_factory, settings):
    config = settings.model_copy(update={"as_of": dt.date(2024, 6, 30)}).nameko_config()
    declare(settings.amqp_uri)
    forged = caravan(1.79e308, activity_id="forged")
    publish(settings.amqp_uri, caravan(2, activity_id="good"), forged)
    container_factory(IndicatorsService, config).start()
    with ClusterRpcProxy(config, timeout=10) as proxy:
        wait_until(lambda: value(proxy.indicators) == 2, timeout=30)
        (parked,) = dead_letters(settings.amqp_uri, timeout=30)
        body, headers = parked
        assert body["event_id"] == forged.event_id and "quantities.sessions" in headers["x-kepu-error"]
        assert value(proxy.indicators) == 2


def test_anything_undecodable_or_invalid_is_parked_with_the_reason_and_listed_readably(container_factory, settings):
    """Invalid JSON, bytes that are not UTF-8, text/plain, a date with a time: none is acked and
    lost; each is parked saying why, `kepu dead-letters list` shows any body, the flow goes on."""
    from kombu import Connection, Producer

    from libs.common.bus.dead_letters import peek_dead_letters
    from libs.common.bus.senders import broker_user
    from libs.common.bus.topology import event_exchange

    config = settings.model_copy(update={"as_of": dt.date(2024, 6, 30)}).nameko_config()
    declare(settings.amqp_uri)
    bad_day = caravan(1, activity_id="bad-day")
    bad_day.payload["start_date"] = "2024-05-01T00:00:00"
    with Connection(settings.amqp_uri) as conn:
        producer = Producer(conn.default_channel, exchange=event_exchange("activities"))
        for body, content_type in ((b"{not json", "application/json"), (b"\xff\xfe\x00\x01binary", "application/octet-stream"),
                                   (b"hello", "text/plain"), (bad_day.model_dump_json().encode(), "application/json")):
            producer.publish(body, routing_key="activity_recorded", content_type=content_type, delivery_mode=2,
                             user_id=broker_user(settings.amqp_uri))  # a proven sender: only the body is wrong
    publish(settings.amqp_uri, caravan(2, activity_id="good"))
    container_factory(IndicatorsService, config).start()
    with ClusterRpcProxy(config, timeout=10) as proxy:
        wait_until(lambda: value(proxy.indicators) == 2, timeout=30)
        wait_until(lambda: len(peek_dead_letters(settings.amqp_uri)) == 4, timeout=30)
        parked = peek_dead_letters(settings.amqp_uri)
    errors = " | ".join(p["error"] for p in parked)
    assert "body is not JSON" in errors and "application/octet-stream" in errors and "text/plain" in errors
    assert "start_date" in errors and "不是日期；日期格式应为 YYYY-MM-DD" in errors
    binary = next(p["body"] for p in parked if isinstance(p["body"], dict) and "hex" in p["body"])
    assert binary == {"hex": "ff fe 00 01 62 69 6e 61 72 79", "size": 10}
    assert {"text": "{not json", "size": 9} in [p["body"] for p in parked]
