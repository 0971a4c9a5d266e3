"""Receivers that run as their own processes: aiosmtpd (SMTP with STARTTLS, mail into a
Maildir) and Prometheus Alertmanager from Debian's package, both on loopback."""
from __future__ import annotations

import json
import mailbox
import shutil
import subprocess
import sys
import time
import urllib.request
from email.message import Message
from pathlib import Path

from libs.localenv.ports import free_port
from tests.certificates import self_signed


def _wait(check, what: str, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start within {timeout}s")


class SmtpServer:
    """aiosmtpd in its own process (asyncio does not mix with the tests' eventlet), STARTTLS
    offered and required, every mail stored in a Maildir."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.maildir = folder / "maildir"
        self.cert, key = self_signed(folder, "smtp")
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}", "--tlscert", str(self.cert),
             "--tlskey", str(key), "-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)],
            stdout=subprocess.DEVNULL, stderr=(folder / "aiosmtpd.log").open("w"))
        import socket

        def listening() -> bool:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        _wait(listening, "aiosmtpd", self.process)

    def messages(self) -> list[Message]:
        return list(mailbox.Maildir(self.maildir, create=False)) if self.maildir.exists() else []

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


ALERTMANAGER_CONFIG = """\
route:
  receiver: keep
  group_by: [org]
receivers:
  - name: keep
"""


class Alertmanager:
    """Debian's prometheus-alertmanager on loopback, no clustering, data under ``folder``."""

    def __init__(self, folder: Path):
        binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
        if binary is None:
            raise RuntimeError("prometheus-alertmanager is missing: `make setup` installs it")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "alertmanager.yml").write_text(ALERTMANAGER_CONFIG)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [binary, f"--config.file={folder / 'alertmanager.yml'}", f"--storage.path={folder / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address="],
            stdout=subprocess.DEVNULL, stderr=(folder / "alertmanager.log").open("w"))
        _wait(lambda: urllib.request.urlopen(f"{self.url}/-/ready", timeout=1).status == 200, "alertmanager",
              self.process)

    def alerts(self) -> list[dict]:
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts", timeout=5) as response:
            return json.load(response)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
