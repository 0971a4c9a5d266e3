"""Property tests of the gRPC report and batch calls on a real gateway with the real services
(tests/property/grpc_fuzz.py drives hypothesis in a child process): never INTERNAL or UNKNOWN,
never a partial batch, and the indicator equals exactly the sum of what was accepted."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from libs.cli.common import wait_until_activities_know
from libs.cli.orgs import issue_token
from libs.common.rpc import ClusterRpcProxy
from libs.common.settings import REPO_ROOT
from tests.bench.harness import database_template, system_env
from tests.e2e.system import start_system, stop_system
from tests.interface.helpers import wait_until
from tests.interface.test_indicators import value

SQLITE, _ = database_template("sqlite", None)  # the default, as `make run` uses it

pytestmark = pytest.mark.e2e


def test_any_report_or_batch_is_answered_cleanly_and_counted_exactly(vhost_pipeline, broker_uris, tmp_path):
    with vhost_pipeline.get() as vhost:
        parts = urlsplit(broker_uris[0])
        amqp = f"{parts.scheme}://{parts.netloc}/{vhost}"
        env = system_env(tmp_path, amqp, SQLITE, "2024-06-30", None)
        proc, _ = start_system(env)
        try:
            with ClusterRpcProxy({"AMQP_URI": amqp}, timeout=30) as rpc:
                rpc.organisations.register_org({"code": "demo-town", "name": "示例镇", "kind": "town"})
                assert wait_until_activities_know(rpc, ["demo-town"])
                token, _ = issue_token(rpc.organisations, "cast", "fuzz")
                fuzz = subprocess.run([sys.executable, "-m", "tests.property.grpc_fuzz",
                                       f"127.0.0.1:{env['KEPU_GRPC_PORT']}", token, "120"],
                                      cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
                assert fuzz.returncode == 0, fuzz.stdout[-3000:] + fuzz.stderr[-6000:]
                accepted = json.loads(fuzz.stdout.strip().splitlines()[-1])
                assert accepted["ok"] and accepted["invalid"], accepted  # both sides were exercised
                wait_until(lambda: value(rpc.indicators) == accepted["sessions_2024"], timeout=60)
                assert math.isfinite(value(rpc.indicators)) and value(rpc.indicators) == accepted["sessions_2024"]
        finally:
            stop_system(proc)
