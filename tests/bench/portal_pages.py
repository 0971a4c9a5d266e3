"""How fast the portal's pages render for a person, on the seed plan after `kepu demo`.

    make bench-portal                       # 40 renders of each page
    make bench-portal BENCH_ARGS="-n 100"

Runs under ``kepu test-env`` (its broker), starts `kepu run` with the portal on free ports and a
vhost of its own, fills a year with `kepu demo`, makes a reporter's and an admin's account, signs
both in over HTTP and times each page (the whole answer, as a browser's request would wait for
it). The baseline, measured in the same run, is /healthz: the same server and one call to the
gateway, so each ratio says what a page costs beyond the plumbing. The target (p95 under 300 ms)
is printed, never asserted. Not part of `make test`.
"""
from __future__ import annotations

import argparse
import re
import time

import requests
from rich.console import Console
from rich.table import Table

from libs.common.settings import REPO_ROOT
from tests.bench.results import percentile
from tests.browser.system import PASSWORD, portal_system
from tests.e2e.system import kepu

TARGET_MS = 300.0
PAGES = {  # page: (account, path)
    "/healthz (baseline)": ("fulian-wang", "/healthz"),
    "登录": (None, "/login"),
    "我的进度": ("fulian-wang", "/"),
    "填报活动（选择类型）": ("fulian-wang", "/report"),
    "填报活动（表单）": ("fulian-wang", "/report?type=smart_mother&form=portal-00000000-0000-0000-0000-000000000000"),
    "我的记录": ("fulian-wang", "/records"),
    "活动详情": ("fulian-wang", "{record}"),
    "批量导入": ("fulian-wang", "/import"),
    "全县总览": ("office-li", "/office"),
    "活动记录（管理员）": ("office-li", "/records"),
}


def signed_in(base: str, link: str, account: str) -> requests.Session:
    """A person's HTTP session: the password chosen through the set-up link, then signed in."""
    session = requests.Session()
    for url, fields in ((link, {"password": PASSWORD, "password_again": PASSWORD}),
                        (f"{base}/login", {"account": account, "password": PASSWORD})):
        page = session.get(url, timeout=30)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]
        answer = session.post(url, data={**fields, "csrf": csrf}, timeout=30)
        answer.raise_for_status()
    return session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=40, help="renders of each page")
    args = parser.parse_args()
    console = Console()
    var = REPO_ROOT / "var" / "bench" / f"portal-{time.strftime('%Y%m%d-%H%M%S')}"
    with portal_system(var) as system:
        env, base = system["env"], system["base"]
        console.print("filling a year with `kepu demo` ...")
        kepu(env, "demo")
        sessions = {None: requests.Session()}
        for account in ("fulian-wang", "office-li"):
            sessions[account] = signed_in(base, system["links"][account], account)
        records = sessions["fulian-wang"].get(f"{base}/records", timeout=30).text
        record = re.search(r'href="(/records/[0-9a-f]+)"', records)
        table = Table("page", "p50 ms", "p95 ms", "× baseline p95", f"p95 < {TARGET_MS:.0f} ms",
                      title=f"portal pages, {args.n} renders each (seed plan after `kepu demo`)")
        baseline = None
        for name, (account, path) in PAGES.items():
            url = base + path.format(record=record[1] if record else "/records")
            session = sessions[account]
            session.get(url, timeout=30).raise_for_status()  # warm: the plan cache, the connection
            samples = []
            for _ in range(args.n):
                started = time.perf_counter()
                answer = session.get(url, timeout=30)
                samples.append((time.perf_counter() - started) * 1000)
                answer.raise_for_status()
            p50, p95 = percentile(samples, 0.5), percentile(samples, 0.95)
            baseline = baseline or p95
            table.add_row(name, f"{p50:.1f}", f"{p95:.1f}", f"{p95 / baseline:.1f}",
                          "[green]yes[/]" if p95 < TARGET_MS else "[red]no[/]")
        console.print(table)


if __name__ == "__main__":
    main()
