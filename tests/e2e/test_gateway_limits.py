"""The gateway under a careless client and a stranger (tests/e2e/attacks.py runs the calls):
idle calls and streams of every streaming method, bytes that are not protobuf, a flood of
made-up tokens, one token taking every watch, reads outside a token's scope, a huge id echoed.
A real report still answers within its 5 s deadline each time. The gateway runs with 8 threads
for the services, so idle streams holding a thread each (grpcio's threaded server) would stop
it; streams end after 2 s without a message, and one address or token holds only so many."""
from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from libs.cli.orgs import issue_token
from libs.common.rpc import ClusterRpcProxy
from libs.common.settings import REPO_ROOT
from tests.bench.harness import database_template, system_env
from tests.e2e.system import start_system, stop_system

SQLITE, _ = database_template("sqlite", None)  # the default, as `make run` uses it

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def gateway(vhost_pipeline, broker_uris, tmp_path_factory):
    with vhost_pipeline.get() as vhost:
        parts = urlsplit(broker_uris[0])
        amqp = f"{parts.scheme}://{parts.netloc}/{vhost}"
        env = system_env(tmp_path_factory.mktemp("limits"), amqp, SQLITE, "2024-06-30", None) | {
            "KEPU_GRPC_WORKERS": "8", "KEPU_GRPC_REQUEST_WAIT": "3", "KEPU_GRPC_FAILED_SIGN_INS": "20",
            "KEPU_GRPC_TOKEN_CACHE_SECONDS": "0",  # every call looks its token up: the flood case needs it
            "KEPU_GRPC_REFLECTION": "true", "KEPU_GRPC_STREAM_IDLE_SECONDS": "2", "KEPU_GRPC_MAX_STREAMS": "200",
            "KEPU_GRPC_STREAMS_PER_ADDRESS": "100", "KEPU_GRPC_STREAMS_PER_TOKEN": "4", "KEPU_GRPC_MAX_WATCHERS": "16"}
        proc, _ = start_system(env)
        try:
            with ClusterRpcProxy({"AMQP_URI": amqp}, timeout=30) as rpc:
                tokens = [issue_token(rpc.organisations, "cast", "limits")[0] for _ in range(3)]
            yield f"127.0.0.1:{env['KEPU_GRPC_PORT']}", tokens
        finally:
            stop_system(proc)


def attack(target: str, token: str, case: str, *more: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "tests.e2e.attacks", target, token, case, *more], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_idle_streams_hold_no_worker_and_are_cancelled(gateway):
    target, (token, *_) = gateway
    result = attack(target, token, "idle")
    assert result["report"] == "OK" and result["seconds"] < 5, result
    # a stranger is refused from the headers alone; a department's call is cancelled after 3 s
    assert result["idle_calls_ended"] == {"stranger": ["UNAUTHENTICATED"], "department": ["CANCELLED"],
                                          "health": ["CANCELLED"]}, result


def test_bytes_that_are_not_the_message_are_invalid_argument_not_internal(gateway):
    target, (token, *_) = gateway
    result = attack(target, token, "malformed")
    for name, (code, detail) in result.items():
        assert code == "INVALID_ARGUMENT", (name, detail)
        assert "not a ReportActivity message" in detail


def test_idle_streams_of_every_streaming_method_hold_nothing_up(gateway):
    """40 idle streams of each method with a token and 40 without, open while reports are made."""
    target, (token, *_) = gateway
    result = attack(target, token, "streams")
    for method, seen in result.items():
        assert all(code == "OK" and seconds < 5 for code, seconds in seen["reports"]), (method, seen)
    idle_ended = {"CANCELLED": 40}  # by the idle limit (a reflection stream: its first message never came)
    assert result["Watch"] | {"reports": None} == {"reports": None, "with_token": idle_ended,
                                                   "without_token": idle_ended}, result
    assert result["ServerReflectionInfo"] | {"reports": None} == {"reports": None, "with_token": idle_ended,
                                                                  "without_token": idle_ended}, result
    watch = result["WatchStatusChanges"]  # one token holds 4 streams; a stranger none
    assert watch["with_token"] == {"CANCELLED": 4, "RESOURCE_EXHAUSTED": 36}, result
    assert watch["without_token"] == {"UNAUTHENTICATED": 40}, result


def test_idle_reflection_streams_opened_again_as_they_end_delay_no_report(gateway):
    target, (token, *_) = gateway
    reports = attack(target, token, "reopened")["reports"]
    assert len(reports) >= 3 and all(code == "OK" and seconds < 5 for code, seconds in reports), reports


def test_one_address_holds_only_so_many_streams(gateway):
    target, (token, *_) = gateway
    assert attack(target, token, "address") == {"CANCELLED": 100, "RESOURCE_EXHAUSTED": 10}


def test_one_token_cannot_take_another_tokens_watch_slots(gateway):
    target, (token, _, other) = gateway
    result = attack(target, token, "watch_slots", other)
    assert result == {"first_token": {"CANCELLED": 4, "RESOURCE_EXHAUSTED": 36}, "second_token": "CANCELLED"}


def test_a_token_reads_organisations_in_its_scope_and_echoes_of_input_are_bounded(gateway):
    target, (token, *_) = gateway
    result = attack(target, token, "scope", "cast", "edu")
    assert result["own"] == ["OK", 0], result
    assert result["other"][0] == result["unknown"][0] == "NOT_FOUND", result  # another's is as unknown
    code, length = result["long_id"]  # an activity_id of 16,000 characters
    assert code == "NOT_FOUND" and length < 300, result


def test_a_flood_of_made_up_tokens_is_cut_off_and_real_reports_go_on(gateway):
    target, (token, fresh, _) = gateway
    result = attack(target, token, "flood", fresh)
    assert result["before"][0] == "OK"
    # at most 20 unknown tokens a minute are looked up (the idle test's stranger used some)
    assert set(result["flood"]) == {"UNAUTHENTICATED", "RESOURCE_EXHAUSTED"}, result
    assert result["flood"]["RESOURCE_EXHAUSTED"] >= 180 and sum(result["flood"].values()) == 200, result
    assert result["after"][0] == "OK" and result["after"][1] < 5, result  # a token seen before still works
    code, _, detail = result["never_seen"]  # a new token from the flooding address waits its turn
    assert code == "RESOURCE_EXHAUSTED" and "try again in" in detail, result
