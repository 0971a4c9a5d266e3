"""Breaking a running system on purpose: ``kill -9`` of one of its processes (found through
/proc, so the machine needs no procps), a database outage, and the report stream
(``tests/chaos/stream.py``) whose accepted sum the indicator must equal afterwards.
Used by the chaos test in ``make test`` and by ``make soak``."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from libs.common.settings import REPO_ROOT
from tests.bench.harness import system_processes

TARGETS = ("organisations", "activities", "indicators", "notifications", "gateway")


def pids_of(env: dict, name: str) -> list[int]:
    """The processes of ``name`` (a service or "gateway") that the system of ``env`` runs."""
    return [pid for pid, role in system_processes(Path(env["KEPU_VAR_DIR"])) if role.split("#")[0] == name]


def kill_9(env: dict, name: str) -> int:
    """SIGKILL the (first) process of ``name``; its pid. The supervisor of `kepu run` restarts it."""
    pids = pids_of(env, name)
    assert pids, f"no {name} process of this system to kill"
    os.kill(pids[0], signal.SIGKILL)
    return pids[0]


def wait_restarted(env: dict, name: str, old: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if [p for p in pids_of(env, name) if p != old]:
            return
        time.sleep(0.2)
    raise AssertionError(f"{name} was not restarted within {timeout:.0f}s")


def start_stream(env: dict, token: str, rate: float, count: int, prefix: str) -> subprocess.Popen:
    target = f"127.0.0.1:{env['KEPU_GRPC_PORT']}"
    return subprocess.Popen([sys.executable, "-m", "tests.chaos.stream", target, token, "--rate", str(rate),
                             "--count", str(count), "--prefix", prefix], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def stream_result(proc: subprocess.Popen, timeout: float) -> dict:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-4000:]
    return json.loads(out.strip().splitlines()[-1])


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
