"""``make test``: the suite in three lanes at once.

- the first lane, on the test servers ``kepu test-env`` started for ``make test``: pytest over
  tests/ but the second lane's files (eventlet monkey-patched for nameko, tests/conftest.py);
- the second lane, under a ``kepu test-env`` of its own (its own RabbitMQ node and PostgreSQL, on
  ports ``SECOND_LANE_SHIFT`` above the first's, data under var/lane2): the portal's browser tests
  (``pytest --confcutdir tests/browser``: Playwright's driver hangs under eventlet, so they run in
  a process without it), then the slowest end-to-end files. Its own servers, because one of those
  files stops and starts its broker on purpose, which must not reach the other lane's tests.
  Its output goes to var/test-lane2.log, shown whole if it fails;
- the cluster lane, under a ``kepu test-env`` of its own too (ports ``CLUSTER_LANE_SHIFT`` up, data
  under var/lane3): the files that start RabbitMQ nodes of their own (a cluster, a city, a cluster to
  migrate to), which wait mostly on those nodes' boots (var/test-lane3.log).

On two cores the lanes end well before one lane after the other would. Arguments are passed to
pytest: given any, only what they name runs, in this process's environment (a path under
tests/browser runs the browser tests' way).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

from libs.common.settings import REPO_ROOT
from libs.localenv.testenv import TEST_BROKER, TEST_POSTGRES_PORT

PYTEST = [sys.executable, "-m", "pytest"]
BROWSER = [*PYTEST, "--confcutdir", "tests/browser", "-p", "no:cacheprovider", "--suppress-nameko-eventlet-notification"]
# the slowest end-to-end files (each starts whole systems), run in the second lane after the browser tests
SECOND_LANE_E2E = ["tests/e2e/test_walking_skeleton.py", "tests/e2e/test_chaos.py", "tests/e2e/test_dashboards.py",
                   "tests/e2e/test_alerts.py"]
CLUSTER_LANE = ["tests/e2e/test_cluster.py", "tests/interface/test_broker_migration.py",
                "tests/interface/test_county_link.py"]
SECOND_LANE_SHIFT = 50  # clear of the bench's servers (+100)
CLUSTER_LANE_SHIFT = 60  # its cluster test's nodes 30 above that, clear of the bench's (+100) too
LOG = REPO_ROOT / "var" / "test-lane2.log"
CLUSTER_LOG = REPO_ROOT / "var" / "test-lane3.log"


def lane_env(shift: int, node: str, folder: str) -> dict[str, str]:
    """The environment for a lane's own ``kepu test-env``: other node, ports and data."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("KEPU_AMQP_URI", "KEPU_RABBIT_API_URI", "KEPU_TEST_POSTGRES_URL", "KEPU_TEST_ENV")}
    for name, default in TEST_BROKER.items():
        var = f"KEPU_TEST_{name.upper()}"
        env[var] = str(int(os.environ.get(var, default)) + shift)
    env["KEPU_TEST_POSTGRES_PORT"] = str(int(os.environ.get("KEPU_TEST_POSTGRES_PORT", TEST_POSTGRES_PORT)) + shift)
    env["KEPU_TEST_BROKER_NODE"] = node
    env["KEPU_VAR_DIR"] = str(REPO_ROOT / "var" / folder)
    return env


def in_test_env(lane: str, env: dict[str, str], log) -> subprocess.Popen:
    """``python -m tests.lanes LANE`` under a ``kepu test-env`` of its own."""
    return subprocess.Popen([sys.executable, "-m", "libs.cli.main", "test-env", "--", sys.executable, "-m",
                             "tests.lanes", lane], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def run_second_lane() -> int:
    """Inside the second lane's test-env: the browser tests, then the slow end-to-end files."""
    browser = subprocess.call([*BROWSER, "-q", "tests/browser"], cwd=REPO_ROOT)
    e2e = subprocess.call([*PYTEST, "-q", "-p", "no:cacheprovider", *SECOND_LANE_E2E], cwd=REPO_ROOT)
    return browser or e2e


def main(args: list[str]) -> int:
    if args == ["--second-lane"]:
        return run_second_lane()
    if args == ["--cluster-lane"]:
        return subprocess.call([*PYTEST, "-q", "-p", "no:cacheprovider", *CLUSTER_LANE], cwd=REPO_ROOT)
    if args:
        browser = any(a.startswith("tests/browser") for a in args)
        return subprocess.call([*(BROWSER if browser else PYTEST), *args], cwd=REPO_ROOT)
    LOG.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(LOG, "wb") as log, open(CLUSTER_LOG, "wb") as cluster_log:
        second = in_test_env("--second-lane", lane_env(SECOND_LANE_SHIFT, "kepu-test2@localhost", "lane2"), log)
        cluster = in_test_env("--cluster-lane", lane_env(CLUSTER_LANE_SHIFT, "kepu-test3@localhost", "lane3"),
                              cluster_log)
        first = subprocess.call([*PYTEST, *(f"--ignore={path}" for path in (*SECOND_LANE_E2E, *CLUSTER_LANE))],
                                cwd=REPO_ROOT)
        first_done = time.monotonic() - started
        second_code, cluster_code = second.wait(), cluster.wait()
    for name, path, code in (("second", LOG, second_code), ("cluster", CLUSTER_LOG, cluster_code)):
        output = path.read_text(errors="replace")
        if code != 0:
            print(f"\n===== {name} lane failed with code {code}; its output =====\n{output}")
        else:
            summaries = [line for line in output.splitlines() if " passed" in line or " failed" in line]
            print(f"\n{name} lane ({path.relative_to(REPO_ROOT)}): " + "; ".join(s.strip("= ") for s in summaries))
    print(f"first lane done in {first_done:.0f}s, all in {time.monotonic() - started:.0f}s")
    return first or second_code or cluster_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
