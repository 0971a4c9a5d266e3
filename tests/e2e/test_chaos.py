"""Faults survived, on PostgreSQL as in production: while a department system streams a few
thousand reports, `kill -9` hits each service and the gateway in turn (the next once reports
are counted again), then the database stops until the gateway and a consumer have felt it.
Requests fail clearly (a code that says resend) or wait; resent with the same
external_id, every report is accepted, the indicator equals exactly the sum of what was
accepted, nothing is parked and no alert is doubled. (`make soak` runs the same for an hour.)"""
from __future__ import annotations

import os
import signal
import uuid
from collections import Counter
from urllib.parse import urlsplit

import pytest
from kombu import Connection

from libs.cli.orgs import issue_token
from libs.common.bus.dead_letters import peek_dead_letters
from libs.common.bus.topology import SUBSCRIPTIONS
from libs.common.rpc import ClusterRpcProxy
from libs.localenv import testenv
from tests.bench.harness import system_env
from tests.chaos.harness import TARGETS, kill_9, pids_of, start_stream, stream_result, wait_restarted
from tests.e2e.system import settled_count, start_system, stop_system
from tests.eventually import eventually
from tests.interface.test_indicators import value

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
INDICATORS_QUEUE = next(s.queue_name for s in SUBSCRIPTIONS if s.service == "indicators")
OUTAGE_FELT = ("database is not answering", "cannot reach its database")  # the gateway's and a consumer's words


def counted_more(indicators, than: float) -> float:
    """Once the indicator counts more than ``than`` (reports flow again, end to end): the count."""
    return eventually(lambda: (now := value(indicators)) > than and now, timeout=120,
                      what=f"reports counted beyond {than:g}")


def waiting_events(amqp: str) -> int:
    """Activity events ready in the indicators' queue (not yet handed to its consumer)."""
    with Connection(amqp) as connection:
        return connection.default_channel.queue_declare(INDICATORS_QUEUE, passive=True).message_count


def test_kill_9_of_every_process_and_a_database_outage_mid_stream_lose_and_double_nothing(
        vhost_pipeline, broker_uris, postgres_url, tmp_path):
    if not os.environ.get("KEPU_TEST_ENV"):
        pytest.skip("stops the test PostgreSQL: run under `make test` (kepu test-env)")
    with vhost_pipeline.get() as vhost:
        parts = urlsplit(broker_uris[0])
        amqp = f"{parts.scheme}://{parts.netloc}/{vhost}"
        env = system_env(tmp_path, amqp, postgres_url + f"c{uuid.uuid4().hex[:8]}_{{service}}", "2024-06-30", None)
        proc, _ = start_system(env)
        try:
            with ClusterRpcProxy({"AMQP_URI": amqp}, timeout=30) as rpc:
                token, _ = issue_token(rpc.organisations, "cast", "chaos")
            stream = start_stream(env, token, rate=60, count=2400, prefix="chaos")
            with ClusterRpcProxy({"AMQP_URI": amqp}, timeout=60) as rpc:
                counted_more(rpc.indicators, 0.0)
                for name in TARGETS:  # each process of the system in turn, once reports flow again
                    wait_restarted(env, name, kill_9(env, name))
                    counted_more(rpc.indicators, value(rpc.indicators))
            database = testenv.test_postgres()
            # events wait for a consumer when the database goes: indicators is paused until its queue
            # holds some, so the outage meets them (else a fast consumer may have none in hand)
            (indicators,) = pids_of(env, "indicators")
            felt = proc.log_path.stat().st_size
            os.kill(indicators, signal.SIGSTOP)
            try:
                eventually(lambda: waiting_events(amqp) > 0, timeout=60, what="events waiting for indicators")
                database.halt()
            finally:
                os.kill(indicators, signal.SIGCONT)
            try:
                assert not (database.data / "postmaster.pid").exists(), "PostgreSQL did not stop"
                eventually(lambda: all(line in proc.log_path.read_text(errors="replace")[felt:]
                                       for line in OUTAGE_FELT),
                           timeout=60, what="the database outage felt by the gateway and a consumer")
            finally:
                database.resume()  # whatever happened: the rest of the suite needs its PostgreSQL
            result = stream_result(stream, timeout=300)

            assert result["given_up"] == 0 and result["refused"] == 0, result
            resent = Counter({k: v for k, v in result["codes"].items() if "resent" in k})
            assert resent, result  # the faults were felt, and cured by resending
            assert not {k.split()[0] for k in resent} - {"UNAVAILABLE", "DEADLINE_EXCEEDED", "CANCELLED"}, result
            with ClusterRpcProxy({"AMQP_URI": amqp}, timeout=30) as rpc:
                eventually(lambda: value(rpc.indicators) == result["sessions"], timeout=120,
                           what="every accepted session counted")
                assert settled_count(env, token, lambda: value(rpc.indicators), result["sessions"]) == result["sessions"]
                alerts = rpc.notifications.list_alerts()
            keys = Counter((a["indicator"], a["window"], a["scope"]) for a in alerts)
            assert alerts and max(keys.values()) == 1, keys.most_common(3)
            assert peek_dead_letters(amqp) == []
            log = proc.log_path.read_text(errors="replace")
            assert all(line in log for line in OUTAGE_FELT)  # the outage was felt
        finally:
            stop_system(proc)
