"""The code stays as ruff's configuration in pyproject.toml says (imports, unused names, lines)."""
from __future__ import annotations

import subprocess
import sys

from libs.common.settings import REPO_ROOT


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "libs", "services", "tests"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
