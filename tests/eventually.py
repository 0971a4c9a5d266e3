"""Waiting in tests for what they need, not for a fixed while (steady on a loaded CI machine)."""
from __future__ import annotations

import time


def eventually(check, timeout: float = 20.0, what: str = "condition", every: float = 0.1):
    """``check()``'s first truthy result, or AssertionError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(every)
    raise AssertionError(f"{what} did not happen within {timeout}s")
