"""How long `kepu import` takes for a large workbook: dry run, first import, re-import.

Run against a throw-away system (it records real demo activities):
    .venv/bin/kepu run --as-of 2024-06-30      # terminal 1
    .venv/bin/python -m tests.bench.import_timing --rows 10000
Not part of the test suite: speed is measured here, never asserted in tests.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from openpyxl import Workbook

KEPU = [sys.executable, "-m", "libs.cli.main"]


def workbook(path: Path, rows: int) -> None:
    """``rows`` caravan tours of 2023, each with its own 编号 (so a second run is all unchanged)."""
    run = uuid.uuid4().hex[:8]
    book = Workbook()
    sheet = book.active
    sheet.append(["编号", "活动类型", "活动名称", "开始日期", "场次", "人次"])
    for i in range(rows):
        sheet.append([f"bench-{run}-{i}", "科普大篷车巡展", f"巡展{i}", dt.date(2023, 1, 1) + dt.timedelta(days=i % 365),
                      1, 50])
    book.save(path)


def timed(*args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([*KEPU, *args], capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    if done.returncode not in (0, 1):
        raise SystemExit(done.stdout + done.stderr)
    return time.perf_counter() - start, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    token = subprocess.run([*KEPU, "org", "token", "cast", "--label", "import timing"],
                           capture_output=True, text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.xlsx"
        workbook(path, args.rows)
        for label, extra in (("dry run", ["--dry-run"]), ("first import", []), ("re-import", [])):
            seconds, summary = timed("import", str(path), "--token", token, *extra)
            print(f"{label:13s} {args.rows} rows: {seconds:6.1f} s  ({args.rows / seconds:,.0f} rows/s)  {summary}")


if __name__ == "__main__":
    main()
