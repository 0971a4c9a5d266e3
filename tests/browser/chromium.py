"""A real browser for the portal's end-to-end tests: Playwright (from PyPI) driving Debian's
chromium (``make setup`` installs it; Playwright's own browser download is not reachable
everywhere), an accessibility check with axe, and screenshots a person can look at."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from libs.common.settings import REPO_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# headless as root in a closed network: no sandbox, and no calls home that the network refuses
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage",
        "--lang=zh-CN"]  # as a county's PCs run it: dates in date inputs read 2025/06/02
SCREENSHOTS = REPO_ROOT / "var" / "screenshots" / "portal"
WIDTHS = {"desktop": (1366, 900), "phone": (360, 740)}
SERIOUS = ("serious", "critical")


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v.get("impact") in SERIOUS]
