"""The browser tests run in a pytest process of their own (``make test`` starts it beside the
main one, with ``--confcutdir tests/browser``): the main suite's process is monkey-patched by
eventlet for nameko, and Playwright's driver hangs there. Nothing of tests/conftest.py is
loaded here."""
from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.chromium import launch
from tests.browser.system import portal_system


@pytest.fixture(scope="session")
def portal(tmp_path_factory):
    """One system and one browser for the whole lane; each test opens its own pages."""
    with portal_system(tmp_path_factory.mktemp("portal")) as system, sync_playwright() as playwright:
        browser = launch(playwright)
        yield {**system, "browser": browser, "set_up": set()}
        browser.close()
