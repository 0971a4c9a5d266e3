"""A project-local RabbitMQ node: data, logs, cookie and config under ``var/``, own ports.

No system service and no Docker: Debian's unwrapped ``rabbitmq-server`` started detached
with RABBITMQ_* variables pointing into the project, management and Prometheus plugins on.

Closed to strangers: AMQP, management, metrics, Erlang distribution and epmd listen on the
loopback interface only, and there is no ``guest``: the administrator is ``kepu-admin`` with a
random password kept in ``admin.json`` beside the node's data (readable by its owner only). A
node made by an older release, which still has ``guest``, loses it at its next start.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from libs.common.settings import Settings
from libs.localenv.ports import check_free, port_in_use, wait_for_port

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")
ADMIN = "kepu-admin"


def write_private_json(path: Path, data: dict) -> None:
    """``data`` as JSON at ``path``, readable by its owner only, whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_suffix(".tmp")
    with os.fdopen(os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        out.write(json.dumps(data))
    os.replace(fresh, path)


@dataclass(frozen=True)
class TlsListener:
    """An AMQPS listener (a city's, which its counties' links reach across hosts): port and PEM files."""

    port: int
    cert_file: Path
    key_file: Path
    ca_file: Path

    def config(self) -> str:
        return (f"listeners.ssl.1 = 127.0.0.1:{self.port}\n"
                f"ssl_options.cacertfile = {self.ca_file}\n"
                f"ssl_options.certfile = {self.cert_file}\n"
                f"ssl_options.keyfile = {self.key_file}\n"
                "ssl_options.verify = verify_none\n"
                "ssl_options.fail_if_no_peer_cert = false\n")


@dataclass
class RabbitNode:
    base: Path
    node: str
    port: int
    mgmt_port: int
    metrics_port: int
    dist_port: int
    # a cluster's nodes share one Erlang cookie (HOME) and one administrator (admin.json): the seed's
    home: Path | None = None
    admin_file: Path | None = None
    extra_config: str = ""  # more rabbitmq.conf lines (a cluster's partition handling)
    erl_args: str = ""  # more Erlang VM flags
    tls: TlsListener | None = None

    @classmethod
    def from_settings(cls, settings: Settings, profile: str = "run") -> "RabbitNode":
        return cls(base=settings.var_dir / profile / "rabbitmq", node=settings.broker_node,
                   port=settings.broker_port, mgmt_port=settings.broker_mgmt_port,
                   metrics_port=settings.broker_metrics_port, dist_port=settings.broker_dist_port)

    @property
    def amqp_uri(self) -> str:
        """The administrator's URI (tests, and `kepu run` before it grants the service users)."""
        return f"amqp://{ADMIN}:{self.admin_password}@127.0.0.1:{self.port}/"

    @property
    def api_uri(self) -> str:
        return f"http://{ADMIN}:{self.admin_password}@127.0.0.1:{self.mgmt_port}"

    @property
    def address(self) -> str:
        """Where the node listens, without credentials (for messages)."""
        return f"amqp://127.0.0.1:{self.port}/"

    @property
    def admin_password(self) -> str:
        """Made once per node, kept in ``admin.json`` (mode 0600)."""
        path = self.admin_file or self.base / "admin.json"
        try:
            return json.loads(path.read_text())["password"]
        except (OSError, ValueError, KeyError):
            pass
        password = secrets.token_urlsafe(18)
        write_private_json(path, {"user": ADMIN, "password": password})
        return password

    @property
    def pid_file(self) -> Path:
        return self.base / "rabbit.pid"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "HOME": str(self.home or self.base / "home"),  # the Erlang cookie lives here; rabbitmqctl needs it too
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_PID_FILE": str(self.pid_file),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            # Erlang distribution (the CLI tools' way in) and epmd on loopback too
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": " ".join(
                ("-kernel inet_dist_use_interface {127,0,0,1}", self.erl_args)).strip(),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([str(RABBIT_BIN / "rabbitmqctl"), "-n", self.node, *args], env=self.env(),
                              capture_output=True, text=True, timeout=timeout)

    def is_running(self) -> bool:
        return self.pid_file.exists() and port_in_use(self.port) and self.ctl("ping", timeout=20).returncode == 0

    def _write_config(self) -> None:
        for sub in ("home", "mnesia", "log"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        self.base.chmod(0o700)  # rabbitmq.conf and admin.json hold the administrator's password
        # shovel: a county's link to its city (libs/common/bus/link.py), shown by the management API
        (self.base / "enabled_plugins").write_text(
            "[rabbitmq_management,rabbitmq_prometheus,rabbitmq_shovel,rabbitmq_shovel_management].\n")
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\n"
            # a fresh node is made with this administrator and no guest
            f"default_user = {ADMIN}\n"
            f"default_pass = {self.admin_password}\n"
            "default_user_tags.administrator = true\n"
            f"loopback_users.{ADMIN} = true\n"
            f"management.tcp.port = {self.mgmt_port}\n"
            f"management.tcp.ip = 127.0.0.1\n"
            f"prometheus.tcp.port = {self.metrics_port}\n"
            f"prometheus.tcp.ip = 127.0.0.1\n"
            "vm_memory_high_watermark.relative = 0.2\n"
            "disk_free_limit.absolute = 200MB\n"
            + self.extra_config
            + (self.tls.config() if self.tls else "")
        )

    def start(self, timeout: float = 90) -> bool:
        """Start the node unless it already runs; wait until AMQP and management answer.

        Returns whether this call started it (so the caller stops only what it started).
        """
        if self.is_running():
            return False
        self.launch()
        self.await_up(timeout)
        return True

    def launch(self) -> None:
        """Start the node's VM, detached, without waiting for it (a cluster starts its nodes together:
        a node of a cluster waits at boot for the peers it last saw)."""
        if not (RABBIT_BIN / "rabbitmq-server").exists():
            raise SystemExit("rabbitmq-server is not installed; run `make setup` (it installs it with apt).")
        check_free({"KEPU_BROKER_PORT": self.port, "KEPU_BROKER_MGMT_PORT": self.mgmt_port,
                    "KEPU_BROKER_METRICS_PORT": self.metrics_port, "KEPU_BROKER_DIST_PORT": self.dist_port})
        self._write_config()
        self.pid_file.unlink(missing_ok=True)
        with open(self.base / "log" / "startup.log", "ab") as log:  # the node keeps its own handle
            subprocess.Popen([str(RABBIT_BIN / "rabbitmq-server")], env=self.env(), stdout=log, stderr=log,
                             stdin=subprocess.DEVNULL, start_new_session=True)

    def await_up(self, timeout: float = 90) -> None:
        """Wait until the launched node's application runs and its management API answers."""
        deadline = time.monotonic() + timeout
        while not self.pid_file.exists():
            if time.monotonic() > deadline:
                raise SystemExit(f"RabbitMQ {self.node} did not start within {timeout:.0f}s; see {self.base / 'log'}")
            time.sleep(0.2)
        waited = self.ctl("wait", str(self.pid_file), "--timeout", str(int(timeout)), timeout=timeout + 10)
        if waited.returncode != 0:
            raise SystemExit(f"RabbitMQ {self.node} did not come up: {waited.stderr.strip()}; see {self.base / 'log'}")
        if not wait_for_port(self.mgmt_port, 30):
            raise SystemExit(f"RabbitMQ management did not open port {self.mgmt_port}; see {self.base / 'log'}")
        self._retire_guest()

    def _retire_guest(self) -> None:
        """A node made by an older release still has guest (an administrator): make ours, drop it."""
        import requests

        base = f"http://127.0.0.1:{self.mgmt_port}/api"
        if requests.get(f"{base}/whoami", auth=(ADMIN, self.admin_password), timeout=10).status_code == 200:
            return
        guest = requests.Session()
        guest.auth = ("guest", "guest")
        steps = (("PUT", f"users/{ADMIN}", {"password": self.admin_password, "tags": "administrator"}),
                 ("PUT", f"permissions/%2F/{ADMIN}", {"configure": ".*", "write": ".*", "read": ".*"}),
                 ("DELETE", "users/guest", None))
        for method, path, body in steps:
            answer = guest.request(method, f"{base}/{path}", json=body, timeout=10)
            if answer.status_code not in (200, 201, 204):
                raise SystemExit(f"cannot set up the broker's administrator ({method} {path}: {answer.status_code}); "
                                 f"move {self.base} aside to start a fresh node")

    def vm_pid(self) -> int | None:
        """The pid of the node's VM while it lives (its pid file may outlive a crash)."""
        pid = self.written_pid()
        try:
            if pid is not None:
                os.kill(pid, 0)
                return pid
        except OSError:
            pass
        return None

    def written_pid(self) -> int | None:
        """The pid in the node's pid file; None before the VM wrote it (or while it writes it)."""
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self, timeout: float = 120) -> None:
        """Stop the node (and wait for it to exit). A node that does not answer (stuck at boot,
        waiting for peers that will not come) is terminated by its pid."""
        if not self.pid_file.exists():
            return
        try:
            stopped = self.ctl("stop", str(self.pid_file), timeout=timeout).returncode == 0
        except subprocess.TimeoutExpired:
            stopped = False
        if not stopped and (pid := self.vm_pid()) is not None:
            import signal

            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while self.vm_pid() is not None and time.monotonic() < deadline:
                time.sleep(0.2)
            if self.vm_pid() is not None:
                os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        _kill_idle_epmd(self.env())


def _kill_idle_epmd(env: dict[str, str]) -> None:
    """epmd outlives the node it served; stop it when no other Erlang node is registered."""
    epmd = shutil.which("epmd") or next(iter(sorted(Path("/usr/lib/erlang").glob("erts-*/bin/epmd"))), None)
    if not epmd:
        return
    names = subprocess.run([str(epmd), "-names"], capture_output=True, text=True, env=env)
    if names.returncode == 0 and "name " not in names.stdout:
        subprocess.run([str(epmd), "-kill"], capture_output=True, env=env)
