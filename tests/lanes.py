"""``make test``: the suite in two lanes at once, on the test servers ``kepu test-env`` started.

- the main lane: ``pytest`` over tests/ (eventlet monkey-patched for nameko, tests/conftest.py);
- the browser lane: ``pytest --confcutdir tests/browser tests/browser`` in a process of its own
  (Playwright's driver hangs under eventlet), its output in var/test-browser.log, shown whole if
  it fails.

Both run at once because the browser lane mostly waits on a browser and a running system while
the main lane mostly waits on brokers and subprocesses; on two cores the pair ends sooner than
one after the other. Arguments are passed to pytest: given any, only what they name runs (a path
under tests/browser runs in the browser lane's way).
"""
from __future__ import annotations

import subprocess
import sys
import time

from libs.common.settings import REPO_ROOT

PYTEST = [sys.executable, "-m", "pytest"]
BROWSER = [*PYTEST, "--confcutdir", "tests/browser", "-p", "no:cacheprovider", "--suppress-nameko-eventlet-notification"]


def main(args: list[str]) -> int:
    if args:
        browser = any(a.startswith("tests/browser") for a in args)
        return subprocess.call([*(BROWSER if browser else PYTEST), *args], cwd=REPO_ROOT)
    log_path = REPO_ROOT / "var" / "test-browser.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(log_path, "wb") as log:
        browser = subprocess.Popen([*BROWSER, "-q", "tests/browser"], cwd=REPO_ROOT, stdout=log,
                                   stderr=subprocess.STDOUT)
        main_code = subprocess.call(PYTEST, cwd=REPO_ROOT)
        browser_code = browser.wait()
    output = log_path.read_text(errors="replace")
    if browser_code != 0:
        print(f"\n===== browser lane (tests/browser) failed with code {browser_code}; its output =====\n{output}")
    else:
        print(f"\nbrowser lane: {output.strip().splitlines()[-1] if output.strip() else 'no output'} "
              f"(all of it in {log_path.relative_to(REPO_ROOT)})")
    print(f"both lanes done in {time.monotonic() - started:.0f}s")
    return main_code or browser_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
