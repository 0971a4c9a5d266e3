"""A project-local PostgreSQL server for tests and demos: data under ``var/``, own port.

PostgreSQL refuses to run as root, so as root the cluster is owned by and run as Debian's
``postgres`` user (created by the package); otherwise as the current user.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from libs.localenv.ports import check_free


def _bin_dir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        raise SystemExit("PostgreSQL is not installed; run `make setup` (it installs it with apt).")
    return found[-1].parent


@dataclass
class PostgresNode:
    base: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/"

    @property
    def data(self) -> Path:
        return self.base / "data"

    def _run(self, *argv: str) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run([*prefix, *argv], capture_output=True, text=True, timeout=120, cwd="/")

    def start(self) -> None:
        bin_dir = _bin_dir()
        if (self.data / "postmaster.pid").exists():
            self.stop()
        check_free({"KEPU_TEST_POSTGRES_PORT": self.port})
        shutil.rmtree(self.base, ignore_errors=True)
        self.base.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        init = self._run(str(bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                         "--encoding=UTF8", "--no-sync")
        if init.returncode != 0:
            raise SystemExit(f"initdb failed: {init.stderr.strip()}")
        self.resume()

    def resume(self) -> None:
        """Start the server on the data it has (after ``halt``)."""
        opts = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        started = self._run(str(_bin_dir() / "pg_ctl"), "-D", str(self.data), "-o", opts, "-l",
                            str(self.base / "server.log"), "-w", "-t", "60", "start")
        if started.returncode != 0:
            raise SystemExit(f"PostgreSQL did not start: {started.stderr.strip()}; see {self.base / 'server.log'}")

    def halt(self) -> None:
        """Stop the server, keeping its data (an outage, for the chaos tests). A fast shutdown
        that does not finish in time (a loaded machine, clients reconnecting) becomes immediate."""
        pg_ctl = str(_bin_dir() / "pg_ctl")
        if self._run(pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop").returncode != 0 \
                and (self.data / "postmaster.pid").exists():
            self._run(pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.halt()
        shutil.rmtree(self.base, ignore_errors=True)
