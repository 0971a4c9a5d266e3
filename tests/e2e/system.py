"""Running the system the way a user does, for end-to-end tests: `kepu run` as a subprocess,
the `kepu` CLI, /metrics, and tokens."""
from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

from libs.common.settings import REPO_ROOT, Settings
from tests.eventually import eventually

KEPU = [sys.executable, "-m", "libs.cli.main"]


def start_system(env: dict) -> tuple[subprocess.Popen, str]:
    """`kepu run` as a user starts it; returns once it printed `ready.`, with what it printed.

    Its output goes to ``kepu-run.log`` in its data folder, not a pipe: the services log to the
    same stdout, and a pipe nobody reads once it filled would stop them all (a chaos test logs
    a lot)."""
    if "KEPU_PORTAL_PORT" not in env:  # the web portal starts too: on a port of its own per system
        from libs.localenv.ports import free_port

        env["KEPU_PORTAL_PORT"] = str(free_port())
    log_path = Path(env["KEPU_VAR_DIR"]) / "kepu-run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([*KEPU, "run"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc.log_path = log_path
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        if re.search(r"^ready\.", text, re.MULTILINE) or proc.poll() is not None:
            break
        time.sleep(0.1)
    else:
        proc.kill()
    banner = log_path.read_text(errors="replace")
    assert re.search(r"^ready\.", banner, re.MULTILINE), banner
    proc.ready_at = len(banner)
    return proc, banner


def stop_system(proc: subprocess.Popen) -> str:
    """Ctrl-C, then what the system printed after `ready.`."""
    proc.send_signal(signal.SIGINT)  # what Ctrl-C does
    proc.wait(timeout=60)
    out = proc.log_path.read_text(errors="replace")[proc.ready_at:]
    assert proc.returncode == 0, out[-5000:]
    assert "stopped." in out
    return out


def kepu(env, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([*KEPU, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def metric(env, service: str, pattern: str, replica: int = 0) -> float | None:
    port = Settings(metrics_port_base=int(env["KEPU_METRICS_PORT_BASE"])).metrics_port(service, replica)
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    match = re.search(re.escape(pattern) + r" ([0-9.e+-]+)", text)
    return float(match.group(1)) if match else None


CARAVAN_2024 = 'kepu_indicator_actual{indicator="caravan-tours",region="dangshan",scope="dangshan",window="2024"}'
MARKER_SESSIONS = 50.0  # far above what a test reports, so a duplicate cannot pass for the marker


def settled_count(env, token: str, read, counted: float, timeout: float = 60) -> float:
    """The caravan-tour sessions of 2024 that ``read()`` shows once everything sent so far has been
    handled, ``counted`` being what the test expects.

    A marker report of ``MARKER_SESSIONS`` goes behind every event still on its way (one queue,
    first in first out); once ``read()`` shows it, a late duplicate would show too. Returns the
    count without the marker, so a test asserts exactly what it reported, without waiting a
    guessed while for what should not come."""
    kepu(env, "activity", "report", "caravan_tour", "--date", "2024-05-01", "-q", f"sessions={MARKER_SESSIONS:g}",
         "--external-id", f"marker-{uuid.uuid4().hex[:8]}", "--token", token)
    seen = eventually(lambda: (got := read() or 0.0) >= counted + MARKER_SESSIONS and got, timeout=timeout,
                      what=f"the marker report counted on top of {counted:g}")
    return seen - MARKER_SESSIONS


def handled(env, service: str, event_type: str) -> float:
    """Events of ``event_type`` that ``service`` has applied (its /metrics; 0 before the first)."""
    series = f'kepu_events_handled_total{{event_type="{event_type}",outcome="ok",service="{service}"}}'
    return metric(env, service, series) or 0.0


def wait_for_metric(env, service: str, series: str, want: float, timeout: float = 10,
                    replica: int = 0) -> float | None:
    """Poll until the series shows `want`; a refused connection (the service is being restarted by
    the supervisor) counts as "not yet", so only the last poll may raise."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            got = metric(env, service, series, replica)
        except requests.ConnectionError:
            if time.monotonic() >= deadline:
                raise
            got = None
        if got == want or time.monotonic() >= deadline:
            return got
        time.sleep(0.1)


def wait_for_alerts(env, token: str, indicator: str, windows: set[str], timeout: float = 30) -> dict:
    """The firing alerts of one indicator by window, once all `windows` have one (the start-up
    burst of status events may still be on its way to notifications on a slow machine)."""
    deadline = time.monotonic() + timeout
    while True:
        alerts = json.loads(kepu(env, "alert", "list", "--state", "firing", "--json", "--token", token).stdout)
        by_window = {a["window"]: a for a in alerts if a["indicator"] == indicator}
        if windows <= by_window.keys() or time.monotonic() >= deadline:
            return by_window
        time.sleep(0.5)


class Driver:
    """Talks to ``grpc_driver`` over its stdin/stdout."""

    def __init__(self, target: str):
        self.target = target
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.e2e.grpc_driver"], cwd=REPO_ROOT, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def send(self, cmd: dict) -> dict:
        self.proc.stdin.write(json.dumps({"target": self.target, **cmd}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def call(self, method: str, token: str | None, request: dict | None = None, **options) -> dict:
        return self.send({"call": method, "token": token, "request": request or {}, **options})

    def ok(self, method: str, token: str | None, request: dict | None = None, **options) -> dict:
        answer = self.call(method, token, request, **options)
        assert answer["ok"], answer
        return answer["response"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
