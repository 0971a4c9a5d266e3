"""A throw-away Kepu system for the benchmark: `kepu run` as a subprocess on free ports, its own
vhost on the broker `kepu test-env` started, its own folder under ``var/bench/``, SQLite or fresh
PostgreSQL databases; plus what the cases need to look at it (/metrics, its processes, the CLI).

Deliberately independent of ``tests/conftest.py`` (which monkey-patches eventlet: grpcio must not
run under it) and of ``tests/e2e/system.py`` (which imports conftest).
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests

from libs.common.bus.topology import QueueType
from libs.common.settings import METRICS_OFFSETS, REPO_ROOT, SERVICES, SINGLE_PROCESSES
from libs.localenv.ports import free_port, free_range

KEPU = [sys.executable, "-m", "libs.cli.main"]
BENCH_DIR = REPO_ROOT / "var" / "bench"
SERIES = 'kepu_indicator_actual{{indicator="caravan-tours",region="{region}",scope="{region}",window="{year}"}}'


class SystemStartError(RuntimeError):
    """`kepu run` did not get to `ready.`; the message carries the end of its output."""


# ---------------------------------------------------------------- ports


# ---------------------------------------------------------------- broker vhost (management API)


@dataclass
class Vhost:
    """A vhost of our own on the shared broker: nothing of another run (or of `make test`) can
    see our queues, and deleting it removes everything we declared."""

    api_uri: str
    amqp_base: str
    name: str = field(default_factory=lambda: f"kepu-bench-{uuid.uuid4().hex[:8]}")

    def _url(self, *parts: str) -> tuple[str, tuple[str, str]]:
        split = urlsplit(self.api_uri)
        auth = (split.username or "guest", split.password or "guest")
        base = f"{split.scheme}://{split.hostname}:{split.port}"
        return base + "/api/" + "/".join(quote(p, safe="") for p in parts), auth

    @property
    def user(self) -> str:
        return urlsplit(self.amqp_base).username or "guest"

    @property
    def amqp_uri(self) -> str:
        """``amqp_base`` on this vhost; a node list (``amqp://…;amqp://…``) on it at every node."""
        def on_vhost(uri: str) -> str:
            split = urlsplit(uri)
            return f"{split.scheme}://{split.netloc}/{quote(self.name, safe='')}"

        return ";".join(on_vhost(uri) for uri in self.amqp_base.split(";") if uri)

    def create(self) -> None:
        """Create it, marked with our pid: a run killed before its clean-up (`kepu test-env` kills
        its command a moment after a Ctrl-C) leaves a vhost that the next run can tell is stale."""
        url, auth = self._url("vhosts", self.name)
        requests.put(url, auth=auth, json={"description": f"{VHOST_MARK}{os.getpid()}"}, timeout=30).raise_for_status()
        url, auth = self._url("permissions", self.name, self.user)
        requests.put(url, auth=auth, json={"configure": ".*", "write": ".*", "read": ".*"},
                     timeout=30).raise_for_status()

    def delete(self) -> None:
        url, auth = self._url("vhosts", self.name)
        requests.delete(url, auth=auth, timeout=60)

    def delete_stale(self) -> list[str]:
        """Delete the vhosts of earlier bench runs whose process is gone (with whatever their
        queues still hold, e.g. the events of an interrupted catch-up); returns their names."""
        url, auth = self._url("vhosts")
        stale = []
        for vhost in requests.get(url, auth=auth, timeout=30).json():
            mark = vhost.get("description") or ""
            if vhost["name"].startswith("kepu-bench-") and mark.startswith(VHOST_MARK):
                pid = int(mark[len(VHOST_MARK):] or 0)
                if pid and not alive(pid):
                    Vhost(self.api_uri, self.amqp_base, vhost["name"]).delete()
                    stale.append(vhost["name"])
        return stale


VHOST_MARK = "kepu bench pid "


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------- databases


def database_template(db: str, postgres_url: str | None) -> tuple[str, str | None]:
    """(KEPU_DATABASE_URL_TEMPLATE, PostgreSQL name prefix): SQLite files in the run's folder, or
    fresh PostgreSQL databases (the services create them) named by a prefix of our own."""
    if db == "sqlite":
        return "sqlite:///{var_dir}/db/{service}.sqlite3", None
    if not postgres_url:
        raise SystemStartError("no PostgreSQL: run through `make bench` (kepu test-env sets KEPU_TEST_POSTGRES_URL)")
    prefix = f"bench{uuid.uuid4().hex[:10]}"
    return postgres_url + prefix + "_{service}", prefix


def drop_databases(postgres_url: str, prefix: str) -> None:
    """Drop this run's PostgreSQL databases (the test cluster goes away anyway; this keeps it small
    while the other database's run goes on)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url + "postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            names = conn.execute(text("select datname from pg_database where datname like :p"),
                                 {"p": prefix + "\\_%"}).scalars().all()
            for name in names:
                conn.execute(text(f'drop database if exists "{name}" with (force)'))
    finally:
        engine.dispose()


# ---------------------------------------------------------------- the system


@dataclass
class System:
    """One `kepu run` and everything needed to talk to it and to clean up after it."""

    env: dict[str, str]
    var_dir: Path
    log_path: Path
    proc: subprocess.Popen | None = None

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.env['KEPU_GRPC_PORT']}"

    @property
    def replicas(self) -> int:
        return int(self.env.get("KEPU_REPLICAS") or 1)

    def metrics_urls(self, service: str) -> list[str]:
        """The /metrics of each replica of a service: replica r a block of ``len(METRICS_OFFSETS)``
        ports above the base (as ``Settings.metrics_port`` lays them out); the gateway and the portal
        run once."""
        base = int(self.env["KEPU_METRICS_PORT_BASE"]) + METRICS_OFFSETS[service]
        replicas = 1 if service in SINGLE_PROCESSES else self.replicas
        return [f"http://127.0.0.1:{base + len(METRICS_OFFSETS) * r}/metrics" for r in range(replicas)]

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def system_env(var_dir: Path, amqp_uri: str, database_url_template: str, as_of: str,
               replicas: int | None, queue_type: QueueType = "classic") -> dict[str, str]:
    """The environment of `kepu run` and of every CLI call against it: the broker at ``amqp_uri``
    (one node, or a cluster's node list) with durable queues of ``queue_type``. The periodic
    re-evaluation is pushed out of the way (as the e2e tests do): it would be noise."""
    env = {**os.environ,
           "KEPU_VAR_DIR": str(var_dir), "KEPU_AMQP_URI": amqp_uri, "KEPU_MANAGE_BROKER": "0",
           "KEPU_BROKER_QUEUE_TYPE": queue_type,
           "KEPU_GRPC_PORT": str(free_port()), "KEPU_METRICS_PORT_BASE": str(free_range(40)),
           "KEPU_DATABASE_URL_TEMPLATE": database_url_template, "KEPU_AS_OF": as_of,
           "KEPU_EVALUATE_INTERVAL": "3600", "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    if replicas is not None:
        env["KEPU_REPLICAS"] = str(replicas)
    return env


def start_system(env: dict[str, str], timeout: float = 180) -> System:
    """`kepu run` as a user starts it, output to a log file in its folder (a pipe nobody reads
    would block the services, which log to the same stdout); returns once it printed `ready.`.

    It stays in our process group on purpose: a Ctrl-C on `make bench` reaches it directly, so it
    stops its services in order even if `kepu test-env` kills this process first.
    """
    var_dir = Path(env["KEPU_VAR_DIR"])
    var_dir.mkdir(parents=True, exist_ok=True)
    system = System(env=env, var_dir=var_dir, log_path=var_dir / "kepu-run.log")
    with open(system.log_path, "wb") as log:
        system.proc = subprocess.Popen([*KEPU, "run"], cwd=REPO_ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(r"^ready\.", system.log_tail(200), re.MULTILINE):
                return system
            if system.proc.poll() is not None:
                break
            time.sleep(0.2)
    finally:
        if not _ready(system):
            stop_system(system)  # also on Ctrl-C while waiting: the caller has no System to stop yet
    tail = system.log_tail()
    last = next((ln for ln in reversed(tail.splitlines()) if ln.strip()), "no output")
    raise SystemStartError(f"`kepu run` did not get ready: {last.strip()} (log: {system.log_path})\n{tail}")


def _ready(system: System) -> bool:
    return system.proc is not None and system.proc.poll() is None and \
        re.search(r"^ready\.", system.log_tail(200), re.MULTILINE) is not None


def stop_system(system: System, timeout: float = 120) -> str:
    """Ctrl-C for `kepu run` (it stops gateway, services, in order); if it hangs, kill it and any
    child it left behind (found by this run's folder, so only processes this run started)."""
    proc, problems = system.proc, []
    if proc is None:
        return ""
    for pid, _ in system_processes(system.var_dir):
        send_signal(pid, signal.SIGCONT)  # a paused child would hold up the stop
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            problems.append(f"`kepu run` did not stop within {timeout:.0f}s; killed")
            proc.kill()
            proc.wait()
    if proc.returncode not in (0, -signal.SIGINT):
        problems.append(f"`kepu run` exited with {proc.returncode}")
    for pid, role in system_processes(system.var_dir):
        problems.append(f"{role} (pid {pid}) outlived `kepu run`; killed")
        send_signal(pid, signal.SIGKILL)
    system.proc = None
    return "; ".join(problems)


def send_signal(pid: int, sig: signal.Signals) -> None:
    """Signal a process of ours that may have exited meanwhile."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


# ---------------------------------------------------------------- its processes


def system_processes(var_dir: Path) -> list[tuple[int, str]]:
    """(pid, role) of every process of the system run in ``var_dir``: the `kepu run` supervisor,
    each service replica (``indicators``, or ``indicators#2`` … when there are several), the
    gateway and the portal. Found by the KEPU_VAR_DIR in their environment, which is this run's alone; replicas
    are named as the supervisor names them, from the KEPU_REPLICA it gives each."""
    marker = f"KEPU_VAR_DIR={var_dir}".encode()
    found: list[tuple[int, str]] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            if marker not in environ:
                continue
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:  # gone, or not ours to read
            continue
        role = _role(argv)
        if role:
            replica = next((int(e.split(b"=", 1)[1] or 0) for e in environ if e.startswith(b"KEPU_REPLICA=")), 0)
            found.append((int(entry.name), role if replica == 0 else f"{role}#{replica + 1}"))
    order = ["supervisor", *SERVICES, *SINGLE_PROCESSES]
    return sorted(found, key=lambda p: (order.index(p[1].split("#")[0]) if p[1].split("#")[0] in order else 99,
                                        p[1], p[0]))


def _role(argv: list[str]) -> str | None:
    if "libs.common.service_runner" in argv:
        rest = argv[argv.index("libs.common.service_runner") + 1:]
        return rest[0] if rest else "service"
    if "services.gateway.server" in argv:
        return "gateway"
    if "services.portal.server" in argv:
        return "portal"
    if "libs.cli.main" in argv and "run" in argv:
        return "supervisor"
    return None  # a CLI call of ours, or something else


def pids_of(system: System, service: str) -> list[int]:
    """The pids of one service's replicas."""
    return [pid for pid, role in system_processes(system.var_dir) if role.split("#")[0] == service]


def peak_memory_mib(pid: int) -> float | None:
    """VmHWM (peak resident set) of a process, in MiB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else None


# ---------------------------------------------------------------- the CLI and /metrics


def kepu(system: System, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """A `kepu` command against this system (its environment), output captured."""
    return subprocess.run([*KEPU, *args], cwd=REPO_ROOT, env=system.env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def reporter_token(system: System) -> str:
    """A reporter token of 县科协 (org ``cast``), issued as an operator does."""
    done = kepu(system, "org", "token", "cast", "--role", "reporter", "--label", "bench")
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"`kepu org token cast` failed: {done.stdout}{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


class Counter:
    """One series of the indicators' /metrics: the caravan tours counted for the region in a year.

    With replicas, each indicators process shows the window total as of the last batch it
    applied itself; the total only grows while we report, so the highest of them is current.
    """

    def __init__(self, system: System, region: str = "dangshan", year: str = "2024"):
        self.urls = system.metrics_urls("indicators")
        self.series = SERIES.format(region=region, year=year)
        self.pattern = re.compile(re.escape(self.series) + r" ([0-9.eE+-]+)")
        self.session = requests.Session()
        # uncompressed: gzip would make the indicators process compress ~64 KB on every poll
        self.session.headers["Accept-Encoding"] = "identity"

    def read(self) -> float | None:
        """The current value; None while the series or the endpoint is not there (the supervisor
        may be restarting the service)."""
        values = []
        for url in self.urls:
            try:
                text = self.session.get(url, timeout=5).text
            except requests.RequestException:
                continue
            match = self.pattern.search(text)
            if match:
                values.append(float(match.group(1)))
        return max(values, default=None)


@dataclass
class Wait:
    """How waiting for a count ended: reached at ``at`` (perf_counter), or given up."""

    reached: bool
    at: float
    last: float
    why: str = ""


def wait_for_count(counter: Counter, want: float, timeout: float, stall: float = 90.0) -> Wait:
    """Poll until the series reaches ``want``. Gives up after ``timeout``, or earlier when the
    value has not moved for ``stall`` seconds (a stuck pipeline should not cost the full timeout).

    Each scrape costs the indicators process several milliseconds, so the polls thin out as the
    wait goes on: every 20 ms at first, then about 1% of the time waited so far (at most 250 ms),
    which keeps the error of a rate below ~1% without slowing down what is measured.
    """
    start = time.perf_counter()
    last, moved = None, start
    while True:
        value = counter.read()
        now = time.perf_counter()
        if value is not None and value >= want:
            return Wait(True, now, value)
        if value != last:
            last, moved = value, now
        if now - start > timeout:
            return Wait(False, now, last or 0.0, f"timeout after {timeout:.0f}s")
        if now - moved > stall:
            return Wait(False, now, last or 0.0, f"no progress for {stall:.0f}s")
        time.sleep(min(0.25, max(0.02, (now - start) / 100)))
