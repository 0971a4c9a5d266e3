"""End to end, the way a user runs it: `kepu run`, a department reports over gRPC with its
token, the count shows on /metrics and the alert in the notifications service."""
from __future__ import annotations

import gzip
import os
import re
import signal
import sqlite3
import subprocess
import sys

import pytest
import requests

from libs.common.settings import REPO_ROOT, Settings
from libs.localenv.ports import free_port, free_range
from tests.chaos.harness import pids_of
from tests.e2e.system import (
    CARAVAN_2024,
    KEPU,
    kepu,
    metric,
    settled_count,
    start_system,
    stop_system,
    wait_for_alerts,
    wait_for_metric,
)
from tests.eventually import eventually

pytestmark = pytest.mark.e2e


@pytest.fixture
def system_env(rabbit_config, tmp_path) -> dict:
    return {
        **os.environ,
        "KEPU_AMQP_URI": rabbit_config["AMQP_URI"], "KEPU_MANAGE_BROKER": "false",
        "KEPU_VAR_DIR": str(tmp_path), "KEPU_GRPC_PORT": str(free_port()),
        "KEPU_METRICS_PORT_BASE": str(free_range(6)), "KEPU_AS_OF": "2024-06-30",
        "KEPU_EVALUATE_INTERVAL": "3600", "PYTHONUNBUFFERED": "1", "COLUMNS": "200",
        "KEPU_GRPC_TOKEN_CACHE_SECONDS": "0.5",  # a revocation shows at once, not after the default 5 s
    }


@pytest.fixture
def system(system_env):
    proc, banner = start_system(system_env)
    yield system_env, banner
    stop_system(proc)


def test_report_over_grpc_is_counted_on_metrics_and_raises_the_alert(system):
    env, banner = system
    for where in ("gRPC gateway", "indicators metrics", "gateway metrics"):
        assert where in banner
    token = kepu(env, "org", "token", "cast").stdout.strip()
    report = ["activity", "report", "caravan_tour", "--date", "2024-05-01", "-q", "sessions=3",
              "-q", "participants=800", "--external-id", "cast-001", "--token", token]
    assert "recorded" in kepu(env, *report).stdout
    assert "already recorded" in kepu(env, *report).stdout  # a retry is not counted twice

    assert wait_for_metric(env, "indicators", CARAVAN_2024, 3.0) == 3.0
    assert metric(env, "activities", 'kepu_activities_recorded_total{activity_type="caravan_tour",org="cast",region="dangshan"}') == 1
    assert metric(env, "gateway", 'kepu_gateway_requests_total{code="OK",method="ReportActivity"}') == 2

    admin = kepu(env, "org", "token", "cast", "--role", "admin").stdout.strip()
    caravan = wait_for_alerts(env, admin, "caravan-tours", {"2023", "2024"})
    assert caravan["2024"]["status"] == "lagging"
    assert caravan["2024"]["recipients"][:1] == ["cast"] and "leading-group-office" in caravan["2024"]["recipients"]
    assert caravan["2023"]["status"] == "missed"


def test_gateway_refuses_unknown_tokens_and_bad_fields(system):
    env, _ = system
    bad_token = kepu(env, "activity", "report", "caravan_tour", "--date", "2024-05-01", "-q", "sessions=1",
                     "--token", "kepu_not-a-token", check=False)
    assert bad_token.returncode == 1 and "UNAUTHENTICATED" in bad_token.stderr
    issued = kepu(env, "org", "token", "edu")
    token, token_id = issued.stdout.strip(), re.search(r"token_id (\d+)", issued.stderr).group(1)
    bad_field = kepu(env, "activity", "report", "caravan_tour", "--date", "2024-05-01", "-q", "people=1",
                     "--token", token, check=False)
    assert bad_field.returncode == 1 and "INVALID_ARGUMENT" in bad_field.stderr
    assert "字段 quantities.people：" in bad_field.stderr  # the field violation travels as a detail
    assert "reloaded dangshan-2021-2025" in kepu(env, "plan", "reload").stdout
    kepu(env, "org", "revoke", token_id)
    revoked = eventually(  # once the gateway's cached answer (KEPU_GRPC_TOKEN_CACHE_SECONDS) expired
        lambda: (done := kepu(env, "activity", "report", "caravan_tour", "--date", "2024-05-01", "-q", "sessions=1",
                              "--external-id", "after-revoke", "--token", token, check=False)).returncode and done,
        what="the revoked token refused")
    assert revoked.returncode == 1 and "UNAUTHENTICATED" in revoked.stderr


def test_a_second_run_keeps_what_was_counted(system_env):
    """Stop and start again on the same data: counts, tokens and idempotency keys survive."""
    proc, _ = start_system(system_env)
    try:
        token = kepu(system_env, "org", "token", "cast").stdout.strip()
        report = ["activity", "report", "caravan_tour", "--date", "2024-05-01", "-q", "sessions=4",
                  "--external-id", "cast-restart", "--token", token]
        kepu(system_env, *report)
        assert wait_for_metric(system_env, "indicators", CARAVAN_2024, 4.0) == 4.0
    finally:
        stop_system(proc)
    proc, _ = start_system(system_env)
    try:
        assert wait_for_metric(system_env, "indicators", CARAVAN_2024, 4.0) == 4.0
        assert "already recorded" in kepu(system_env, *report).stdout
        assert settled_count(system_env, token, lambda: metric(system_env, "indicators", CARAVAN_2024), 4.0) == 4.0
    finally:
        stop_system(proc)


def test_make_run_upgrades_a_release_13_data_folder_in_place(system_env, tmp_path):
    """The SQLite databases a release-13 `make run` left (tests/fixtures/release-13: a year of
    `kepu demo`, one county before regions), started by this release with the county's two plans:
    migrated, every figure kept under the county's region (its towns' too), new reports on top."""
    fixtures = REPO_ROOT / "tests" / "fixtures" / "release-13" / "sqlite"
    (tmp_path / "db").mkdir()
    for dump in fixtures.glob("*.sql.gz"):
        with sqlite3.connect(tmp_path / "db" / dump.name.replace(".sql.gz", ".sqlite3")) as conn:
            conn.executescript(gzip.decompress(dump.read_bytes()).decode())
    with sqlite3.connect(tmp_path / "db" / "indicators.sqlite3") as conn:
        stored = {(i, w, s): a for i, w, s, a in conn.execute("select indicator, window, scope, actual from "
                                                              "window_states where indicator not like 'track.%'")}
    assert any(s.startswith("town:") for _, _, s in stored) and len(stored) > 50
    env = {**system_env, "KEPU_AS_OF": "2024-10-15"}
    assert "empty or from release 13" in kepu(env, "db", "status").stdout
    proc, _ = start_system(env)
    try:
        assert wait_for_metric(env, "indicators", CARAVAN_2024, 2.0) == 2.0  # the demo's two caravan tours
        def every_figure_shown() -> dict | None:
            shown = _actuals(env)
            return shown if len(shown) >= len(stored) else None
        shown = eventually(every_figure_shown, timeout=60, what="every stored figure on /metrics")
        assert {key: shown.get(key) for key in stored} == stored  # every figure, each under region dangshan
        token = kepu(env, "org", "token", "cast").stdout.strip()
        kepu(env, "activity", "report", "caravan_tour", "--date", "2024-09-01", "-q", "sessions=3",
             "--external-id", "after-upgrade", "--token", token)
        assert wait_for_metric(env, "indicators", CARAVAN_2024, 5.0) == 5.0
        assert kepu(env, "db", "status").stdout.count("up to date") == 4
    finally:
        stop_system(proc)


def _actuals(env) -> dict[tuple[str, str, str], float]:
    """Every target's figure on the indicators' /metrics, by (indicator, window, scope), of region dangshan."""
    port = Settings(metrics_port_base=int(env["KEPU_METRICS_PORT_BASE"])).metrics_port("indicators", 0)
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    pattern = re.compile(r'^kepu_indicator_actual\{indicator="([^"]+)",region="dangshan",scope="([^"]+)",'
                         r'window="([^"]+)"\} (\S+)$', re.M)
    return {(i, w, s): float(v) for i, s, w, v in pattern.findall(text) if not i.startswith("track.")}


def test_in_december_2026_the_county_works_to_its_next_plan_and_the_ended_one_stays_readable(system_env,
                                                                                            tmp_path):
    """Today (the session's date) the seed's 2021–2025 plan has ended: `kepu demo` fills 2026 of the
    county's 2026–2030 plan (example data), the year's figures default to it, and 2025 is read
    with the old plan's targets."""
    env = {**system_env, "KEPU_AS_OF": "2026-12-06"}
    proc, _ = start_system(env)
    try:
        demo = kepu(env, "demo", "--towns", "2")
        assert "2026: " in demo.stdout and "example activities stored" in demo.stdout
        admin = kepu(env, "org", "token", "leading-group-office", "--role", "admin").stdout.strip()
        this_year = kepu(env, "indicator", "year", "--targets-only", "--token", admin).stdout
        assert "dangshan 2026 (dangshan-2026-2030)" in this_year and "caravan-tours" in this_year
        ended = kepu(env, "indicator", "year", "--year", "2025", "--targets-only", "--token", admin).stdout
        assert "dangshan 2025 (dangshan-2021-2025)" in ended
        caravan_2026 = 'kepu_indicator_target{indicator="caravan-tours",region="dangshan",window="2026"}'
        assert wait_for_metric(env, "indicators", caravan_2026, 12.0) == 12.0  # the example plan's target
        # the ended plan's last 考核 stays to be had, by its own targets
        written = kepu(env, "report", "assessment", "2025", "--format", "xlsx", "--out", str(tmp_path / "docs"),
                       "--token", admin).stdout
        assert "2025年目标考核表.xlsx" in written and "数据截至2025-12-31" in written
    finally:
        stop_system(proc)


def test_gateway_without_services_answers_unavailable_not_a_crash(system_env):
    """Services down (or the broker unreachable): the caller is told to retry; nothing is half-stored."""
    gateway = subprocess.Popen([sys.executable, "-m", "services.gateway.server"], cwd=REPO_ROOT, env=system_env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        from libs.localenv.ports import wait_for_port

        assert wait_for_port(int(system_env["KEPU_GRPC_PORT"]), 30)
        result = kepu(system_env, "activity", "report", "caravan_tour", "--date", "2024-05-01", "-q", "sessions=1",
                      "--token", "kepu_any", check=False)
        assert result.returncode == 1 and "UNAVAILABLE" in result.stderr, result.stdout + result.stderr
        # the client retried UNAVAILABLE (safe: a report carries its external_id), then gave up
        from libs.client.client import RETRY_PAUSES

        assert metric(system_env, "gateway",
                      'kepu_gateway_requests_total{code="UNAVAILABLE",method="ReportActivity"}') == 1 + len(RETRY_PAUSES)
    finally:
        gateway.terminate()
        assert gateway.wait(timeout=30) == 0


def test_indicators_killed_mid_stream_counts_every_report_exactly_once(system):
    """kill -9 of the indicators service while reports flow: restarted, nothing lost or doubled."""
    env, _ = system
    token = kepu(env, "org", "token", "cast").stdout.strip()
    mine = pids_of(env, "indicators")  # this test's indicators process
    assert len(mine) == 1
    reports = [subprocess.Popen([*KEPU, "activity", "report", "caravan_tour", "--date", "2024-05-01", "-q", "sessions=1",
                                 "--external-id", f"kill-{i}", "--token", token], cwd=REPO_ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for i in range(12)]
    eventually(lambda: (metric(env, "indicators", CARAVAN_2024) or 0) >= 1, what="the first report counted")
    os.kill(mine[0], signal.SIGKILL)  # while the others are on their way
    for proc in reports:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out
    assert wait_for_metric(env, "indicators", CARAVAN_2024, 12.0, timeout=60) == 12.0
    assert settled_count(env, token, lambda: metric(env, "indicators", CARAVAN_2024), 12.0) == 12.0


def test_broker_restart_loses_nothing_and_retries_are_safe(system):
    """RabbitMQ stops and starts while the system runs: retried reports count once, none is lost."""
    from libs.localenv.testenv import test_broker

    env, _ = system
    broker = test_broker()
    if f":{broker.port}/" not in env["KEPU_AMQP_URI"]:
        pytest.skip("the suite runs on a broker this test does not manage")
    token = kepu(env, "org", "token", "cast").stdout.strip()

    def report(i: int) -> subprocess.CompletedProcess:
        return kepu(env, "activity", "report", "caravan_tour", "--date", "2024-05-01", "-q", "sessions=1",
                    "--external-id", f"restart-{i}", "--token", token, check=False)

    for i in range(3):
        assert report(i).returncode == 0
    assert broker.ctl("stop_app").returncode == 0
    try:
        down = report(3)
        assert down.returncode == 1 and "UNAVAILABLE" in down.stderr
    finally:
        assert broker.ctl("start_app").returncode == 0
    for i in range(3, 6):  # a department system retries until it is accepted
        eventually(lambda i=i: report(i).returncode == 0, timeout=60, every=0.2,
                   what=f"report {i} accepted after the broker came back")
    assert wait_for_metric(env, "indicators", CARAVAN_2024, 6.0, timeout=60) == 6.0
    assert settled_count(env, token, lambda: metric(env, "indicators", CARAVAN_2024), 6.0) == 6.0


def test_make_run_starts_its_own_broker_and_ctrl_c_stops_it(tmp_path):
    """The whole `make run` promise: its own RabbitMQ node (ports moved by KEPU_BROKER_*, the
    services following), ready, then Ctrl-C stops everything, the broker included."""
    from libs.localenv.ports import port_in_use

    env = {k: v for k, v in os.environ.items() if k != "KEPU_AMQP_URI"}
    amqp_port = free_port()
    env.update({
        "KEPU_BROKER_NODE": f"kepu-e2e-{amqp_port}@localhost", "KEPU_BROKER_PORT": str(amqp_port),
        "KEPU_BROKER_MGMT_PORT": str(free_port()), "KEPU_BROKER_METRICS_PORT": str(free_port()),
        "KEPU_BROKER_DIST_PORT": str(free_port()), "KEPU_VAR_DIR": str(tmp_path),
        "KEPU_GRPC_PORT": str(free_port()), "KEPU_METRICS_PORT_BASE": str(free_range(6)),
        "KEPU_AS_OF": "2024-06-30", "PYTHONUNBUFFERED": "1", "COLUMNS": "200",
    })
    proc, banner = start_system(env)
    try:
        assert f"amqp://127.0.0.1:{amqp_port}/" in banner and port_in_use(amqp_port)
        token = kepu(env, "org", "token", "cast").stdout.strip()
        kepu(env, "activity", "report", "caravan_tour", "--date", "2024-05-01", "-q", "sessions=2", "--token", token)
        assert wait_for_metric(env, "indicators", CARAVAN_2024, 2.0) == 2.0
    finally:
        stop_system(proc)
    assert not port_in_use(amqp_port)
    assert not (tmp_path / "run" / "rabbitmq" / "rabbit.pid").exists()
