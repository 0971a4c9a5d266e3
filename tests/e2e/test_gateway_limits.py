"""The gateway under a careless client and a stranger (tests/e2e/attacks.py runs the calls):
idle streams, bytes that are not protobuf, a flood of made-up tokens. A real report still
answers within its 5 s deadline each time. The gateway runs with 8 worker threads, so a few
idle streams would have stopped it before the request guard (services/gateway/limits.py)."""
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
            "KEPU_GRPC_TOKEN_CACHE_SECONDS": "0"}  # every call looks its token up: the flood case needs it
        proc, _ = start_system(env)
        try:
            with ClusterRpcProxy({"AMQP_URI": amqp}, timeout=30) as rpc:
                tokens = [issue_token(rpc.organisations, "cast", "limits")[0] for _ in range(2)]
            yield f"127.0.0.1:{env['KEPU_GRPC_PORT']}", tokens
        finally:
            stop_system(proc)


def attack(target: str, token: str, case: str, *more: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "tests.e2e.attacks", target, token, case, *more], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_idle_streams_hold_no_worker_and_are_cancelled(gateway):
    target, (token, _) = gateway
    result = attack(target, token, "idle")
    assert result["report"] == "OK" and result["seconds"] < 5, result
    # a stranger is refused from the headers alone; a department's call is cancelled after 3 s
    assert result["idle_calls_ended"] == {"stranger": ["UNAUTHENTICATED"], "department": ["CANCELLED"],
                                          "health": ["CANCELLED"]}, result


def test_bytes_that_are_not_the_message_are_invalid_argument_not_internal(gateway):
    target, (token, _) = gateway
    result = attack(target, token, "malformed")
    for name, (code, detail) in result.items():
        assert code == "INVALID_ARGUMENT", (name, detail)
        assert "not a ReportActivity message" in detail


def test_a_flood_of_made_up_tokens_is_cut_off_and_real_reports_go_on(gateway):
    target, (token, fresh) = gateway
    result = attack(target, token, "flood", fresh)
    assert result["before"][0] == "OK"
    # at most 20 unknown tokens a minute are looked up (the idle test's stranger used some)
    assert set(result["flood"]) == {"UNAUTHENTICATED", "RESOURCE_EXHAUSTED"}, result
    assert result["flood"]["RESOURCE_EXHAUSTED"] >= 180 and sum(result["flood"].values()) == 200, result
    assert result["after"][0] == "OK" and result["after"][1] < 5, result  # a token seen before still works
    code, _, detail = result["never_seen"]  # a new token from the flooding address waits its turn
    assert code == "RESOURCE_EXHAUSTED" and "try again in" in detail, result
