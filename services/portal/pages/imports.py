"""批量导入: the department's spreadsheet, checked first (a dry run listing each problem as
第N行「列」), then imported once the person confirms, with a progress bar for a large file.

The rows go through the gateway's batch call as the person, exactly as ``kepu import`` sends
them (the same sheet reader, the same stable external_ids, so importing a file twice changes
nothing). Between the check and the confirmation the parsed rows wait in this process's
memory (at most ``portal_import_keep_minutes``), never on disk or in a database: the portal
keeps no data of its own. An import in progress runs in a thread of its own; its page
refreshes itself (no script needed) until it is done.
"""
from __future__ import annotations

import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from libs.client.client import ClientError, KepuClient
from libs.client.importing import MAX_BATCH, Tally, send
from libs.client.sheets import ParsedSheet, read_sheet, spec_from_plan, write_template
from libs.common.access import token_hash
from services.portal.gateway import call
from services.portal.web import PageError, checked_form, page_for, redirect, render, visit

SUFFIXES = (".xlsx", ".csv")


@dataclass
class ImportJob:
    """One uploaded file between its check and the end of its import."""

    id: str
    owner: str  # sha256 of the session credential: only the person who uploaded sees it
    filename: str
    sheet: ParsedSheet
    checked: Tally
    made: float = field(default_factory=time.monotonic)
    state: str = "checked"  # checked | running | done | failed
    sent: int = 0
    total: int = 0
    result: Tally | None = None
    error: str = ""

    @property
    def good_rows(self) -> int:
        """Rows that can be stored: read without a problem, and without one at the check."""
        return len({r.row for r in self.sheet.rows} - {p.row for p in self.checked.problems})

    @property
    def percent(self) -> int:
        return round(100 * self.sent / self.total) if self.total else 100


class ImportJobs:
    """The jobs of this process, each dropped ``keep`` seconds after it was made."""

    def __init__(self, keep_seconds: float):
        self.keep = keep_seconds
        self._jobs: dict[str, ImportJob] = {}
        self._lock = threading.Lock()

    def add(self, job: ImportJob) -> None:
        with self._lock:
            now = time.monotonic()
            for key in [k for k, j in self._jobs.items() if now - j.made > self.keep and j.state != "running"]:
                del self._jobs[key]
            self._jobs[job.id] = job

    def get(self, job_id: str, owner: str) -> ImportJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.owner != owner:
            raise PageError(404, "找不到这次导入", "这次导入已过期（检查结果只保留一段时间）或不是您上传的，请重新上传文件。")
        return job


def _run(api: KepuClient, job: ImportJob, batch: int, skip_invalid: bool) -> None:
    """Send the rows batch by batch, moving the job's progress; a failure ends it with the reason."""
    try:
        job.result = send(api, job.sheet, batch, validate_only=False, skip_invalid=skip_invalid,
                          progress=lambda sent: setattr(job, "sent", sent))
        job.state = "done"
    except ClientError as exc:
        job.error = "；".join(d for _, d in exc.violations) or exc.message
        job.state = "failed"


async def import_page(request: Request):
    v = await visit(request, write=True)
    return render(request, "import.html", {"error": ""}, visit_=v)


async def upload(request: Request):
    v = await visit(request, write=True)
    form = await checked_form(request, v.credential)
    upload_ = form.get("file")
    name = getattr(upload_, "filename", "") or ""
    if not name:
        return render(request, "import.html", {"error": "请选择要上传的文件（.xlsx 或 .csv）。"}, 400, visit_=v)
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        return render(request, "import.html", {"error": f"不能读取「{name}」：请另存为 .xlsx 或 .csv 文件后再上传。"}, 400,
                      visit_=v)
    limit = request.app.state.portal.portal_upload_max_bytes
    data = await upload_.read(limit + 1)  # one byte more than allowed tells it is too large
    if len(data) > limit:
        return render(request, "import.html", {"error": f"文件太大（上限{limit // (1024 * 1024)}MB），请分成几个文件上传。"},
                      400, visit_=v)
    plan = await call(v.api.plan)
    towns = await call(v.api.list_organisations, "town")
    try:
        sheet = await call(_parse, data, suffix, spec_from_plan(plan, towns))
    except (ValueError, OSError) as exc:
        return render(request, "import.html", {"error": f"无法读取「{name}」：{exc}"}, 400, visit_=v)
    try:
        checked = await call(send, v.api, sheet, MAX_BATCH, True, True) if sheet.rows else \
            Tally(problems=list(sheet.problems))
    except ClientError as exc:
        raise page_for(exc) from None
    job = ImportJob(id=secrets.token_urlsafe(12), owner=token_hash(v.credential), filename=name, sheet=sheet,
                    checked=checked, total=len(sheet.rows))
    request.app.state.imports.add(job)
    return redirect(f"/import/{job.id}")


def _parse(data: bytes, suffix: str, spec) -> ParsedSheet:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        return read_sheet(path, spec)


async def job_page(request: Request):
    v = await visit(request, write=True)
    job = request.app.state.imports.get(request.path_params["job_id"], token_hash(v.credential))
    shown = job.result if job.state in ("done", "failed") else job.checked
    problems = sorted(shown.problems, key=lambda p: p.row) if shown else []
    return render(request, "import_job.html", {"job": job, "tally": shown, "problems": problems[:500],
                                               "more": max(0, len(problems) - 500)}, visit_=v)


async def confirm(request: Request):
    v = await visit(request, write=True)
    form = await checked_form(request, v.credential)
    job = request.app.state.imports.get(request.path_params["job_id"], token_hash(v.credential))
    if job.state == "checked":
        skip_invalid = form.get("skip_invalid") == "1"
        if job.checked.problems and not skip_invalid:
            return redirect(f"/import/{job.id}")
        job.state = "running"
        batch = request.app.state.portal.portal_import_batch
        threading.Thread(target=_run, args=(v.api, job, batch, skip_invalid), daemon=True,
                         name=f"import-{job.id}").start()
    return redirect(f"/import/{job.id}")  # a second click finds it running: one import


async def template(request: Request):
    v = await visit(request)
    plan = await call(v.api.plan)
    towns = await call(v.api.list_organisations, "town")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.xlsx"
        write_template(path, spec_from_plan(plan, towns))
        data = path.read_bytes()
    filename = quote("活动导入模板.xlsx")
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=template.xlsx; filename*=UTF-8''{filename}"})
