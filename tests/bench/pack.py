"""How long the office waits for the quarterly 调度会 pack and the 考核 table, on the seed plan
with 20 towns after `kepu demo`.

    make bench-pack                       # 5 of each document
    make bench-pack BENCH_ARGS="-n 10"

Runs under ``kepu test-env`` (its broker), starts `kepu run` with the portal (the clock at
2025-06-30), fills the year with `kepu demo --towns 20`, signs the office in and downloads each
document as the portal's 调度会材料 page does: the gateway gathers the figures as known at the
quarter's end (and at each earlier quarter's, for the trend), then lays the document out in its
documents process. The first download of a run (which starts that process) is timed apart. The
baseline, measured in the same run, is the portal's /healthz (the same server and one gateway
call). The target (the whole pack under 5 s) is printed, never asserted. Not part of `make test`.
"""
from __future__ import annotations

import argparse
import time

from rich.console import Console
from rich.table import Table

from libs.common.settings import REPO_ROOT
from tests.bench.portal_pages import signed_in
from tests.bench.results import percentile
from tests.browser.system import portal_system
from tests.e2e.system import kepu

TARGET_S = 5.0
DOCUMENTS = {  # name: path
    "/healthz (baseline)": "/healthz",
    "调度会材料 PDF": "/office/packs/2025Q2/pdf",
    "调度会材料 Excel": "/office/packs/2025Q2/xlsx",
    "调度会材料 Word": "/office/packs/2025Q2/docx",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5, help="downloads of each document")
    args = parser.parse_args()
    console = Console()
    var = REPO_ROOT / "var" / "bench" / f"pack-{time.strftime('%Y%m%d-%H%M%S')}"
    with portal_system(var) as system:
        env, base = system["env"], system["base"]
        console.print("filling a year with `kepu demo --towns 20` ...")
        kepu(env, "demo", "--towns", "20")
        office = signed_in(base, system["links"]["office-li"], "office-li")
        started = time.perf_counter()
        office.get(base + DOCUMENTS["调度会材料 PDF"], timeout=300).raise_for_status()
        first = time.perf_counter() - started
        table = Table("document", "p50 s", "max s", "KB", "× baseline p50", f"< {TARGET_S:g} s",
                      title=f"documents, {args.n} downloads each (seed plan, 20 towns, after `kepu demo`)")
        baseline = None
        for name, path in DOCUMENTS.items():
            samples, size = [], 0
            for _ in range(args.n):
                started = time.perf_counter()
                answer = office.get(base + path, timeout=300)
                samples.append(time.perf_counter() - started)
                answer.raise_for_status()
                size = len(answer.content)
            p50 = percentile(samples, 50)
            baseline = baseline or p50
            table.add_row(name, f"{p50:.2f}", f"{max(samples):.2f}", f"{size // 1024}", f"{p50 / baseline:.0f}",
                          "yes" if max(samples) < TARGET_S else "no")
        console.print(table)
        console.print(f"the first PDF of the run (starting the gateway's documents process): {first:.2f} s")


if __name__ == "__main__":
    main()
