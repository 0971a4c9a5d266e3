"""The courier: before each quarter's 调度会 the office receives the pack without asking.

The meeting is held ``KEPU_PACK_MEETING_WORKING_DAYS`` working days (China's calendar: holidays
and 调休 counted) after the quarter; the pack goes out the working day before it, so it is on
the office's desk for the meeting. A task beside the gRPC server looks every
``KEPU_PACK_COURIER_INTERVAL`` seconds (the first time a minute after start): on the county's
date (activities' clock, frozen in demos), if the latest ended quarter of the plan's period is
due and notifications holds no pack under its key (``pack:2025Q2``), it gathers and renders the
PDF and XLSX exactly as ``GetQuarterPack`` does (``packs``) and hands them to notifications
(``deliver_documents``), which sends them through its delivery outbox once per key: mail with
the files attached, the other channels a line saying where to download them.

The courier reads as the office's administrator (an internal caller, no token): the gateway is
the one process allowed to read every service (``libs.common.bus.senders.GATEWAY_CALLS``), and
the pack holds nothing the office's own admin token could not read through ``GetQuarterPack``.
A failure is logged for operators with the quarter and what to do, and tried again at the next look.
"""
from __future__ import annotations

import asyncio
import base64
import datetime as dt
import logging

from libs.common.access import Caller
from libs.common.plan.duties import period_label
from libs.common.workdays import WorkdayCalendar, china
from services.gateway import packs
from services.gateway.backend import Backend
from services.reports.domain.pack import quarter_end

log = logging.getLogger(__name__)
FIRST_LOOK_SECONDS = 60.0
PACK_FORMATS = ("pdf", "xlsx")  # the DOCX is the office's to edit: downloaded from the portal when wanted


def pack_key(quarter: str) -> str:
    return f"pack:{quarter}"


def latest_ended_quarter(today: dt.date) -> str:
    """The quarter before ``today``'s: 2025-10-20 → 2025Q3, 2026-01-05 → 2025Q4."""
    index = (today.month - 1) // 3
    return f"{today.year}Q{index}" if index else f"{today.year - 1}Q4"


def meeting_day(quarter: str, working_days: int, calendar: WorkdayCalendar) -> dt.date:
    """The day of ``quarter``'s 调度会: the ``working_days``-th working day after it ends."""
    return calendar.add_working_days(quarter_end(quarter), working_days)


def delivery_day(quarter: str, working_days: int, calendar: WorkdayCalendar) -> dt.date:
    """The working day before the meeting, and never before the quarter has ended."""
    after_end = quarter_end(quarter) + dt.timedelta(days=1)
    return max(after_end, calendar.add_working_days(meeting_day(quarter, working_days, calendar), -1))


def due_quarter(today: dt.date, period: dict, working_days: int, calendar: WorkdayCalendar) -> str | None:
    """The quarter whose pack is due on ``today``: the latest ended one, when it is in the plan's
    period (an ended plan's last pack is due until its successor's first quarter ends) and its
    delivery day has come; else None."""
    quarter = latest_ended_quarter(today)
    if not period["start"] <= int(quarter[:4]) <= period["end"]:
        return None
    return quarter if today >= delivery_day(quarter, working_days, calendar) else None


def pack_message(plan: dict, quarter: str, portal_base: str) -> tuple[str, str]:
    """(title, line) of the pack's message: the mail's subject, and what robots and the mail's body say."""
    label = period_label(quarter)
    return (f"{plan['plan']['region']['name']}{label}调度会材料",
            f"{label}调度会材料已生成，请在门户下载：{portal_base}/office/packs/{quarter}")


def office_of(plan: dict) -> dict | None:
    """The plan's office (kind ``office``): who prepares the meeting and receives the pack."""
    return next((o for o in plan["organisations"] if o["kind"] == "office"), None)


class Courier:
    """Delivers each quarter's pack to the office once, before its meeting."""

    def __init__(self, backend: Backend, portal_base: str, working_days: int, interval: float,
                 calendar: WorkdayCalendar | None = None):
        self.backend = backend
        self.portal_base = portal_base
        self.working_days = working_days
        self.interval = interval
        self.calendar = calendar or china()

    def start(self) -> asyncio.Task | None:
        """The courier's task on the running loop; None when ``KEPU_PACK_COURIER_INTERVAL`` is 0."""
        if self.interval <= 0:
            log.info("pack courier off (KEPU_PACK_COURIER_INTERVAL=0): the office downloads packs itself")
            return None
        return asyncio.get_running_loop().create_task(self._run(), name="pack-courier")

    async def _run(self) -> None:
        await asyncio.sleep(min(FIRST_LOOK_SECONDS, self.interval))
        while True:
            await self.backend.run(self.look)
            await asyncio.sleep(self.interval)

    def look(self) -> str | None:
        """Deliver the pack that is due to each region's office, if notifications does not hold it
        yet; the last key delivered, or None. Never raises: a failure is logged and the next look
        tries again."""
        delivered = None
        try:
            today = dt.date.fromisoformat(self.backend.rpc().activities.today())
            regions = [self.backend.plan()["plan"]["region"]["code"]]
            for region in regions:
                plan = self.backend.plan(region)
                regions += [child["code"] for child in plan.get("children", [])]
                delivered = self._look_at(plan, today) or delivered
        except Exception as exc:  # noqa: BLE001 - told to operators, tried again at the next look
            log.error("pack courier: could not read the plans or the clock (%s: %s); trying again in %.0fs. Check "
                      "that activities is up (`kepu status`)", type(exc).__name__, exc, self.interval)
        return delivered

    def _look_at(self, plan: dict, today: dt.date) -> str | None:
        quarter = None
        try:
            quarter = due_quarter(today, plan["plan"]["period"], self.working_days, self.calendar)
            return self._deliver(plan, quarter) if quarter else None
        except Exception as exc:  # noqa: BLE001 - told to operators, tried again at the next look
            what = f"the 调度会 pack of {quarter}" if quarter else "whether a 调度会 pack is due"
            log.error("pack courier: could not deliver %s (%s: %s); trying again in %.0fs. Check that activities, "
                      "indicators and notifications are up (`kepu status`); the office can meanwhile download it "
                      "with `kepu report quarter %s`", what, type(exc).__name__, exc, self.interval,
                      quarter or "QUARTER")
            return None

    def _deliver(self, plan: dict, quarter: str) -> str | None:
        office, key, rpc = office_of(plan), pack_key(quarter), self.backend.rpc()
        if office is None:
            log.warning("pack courier: the plan names no office (an organisation of kind office), so nobody "
                        "receives the %s pack; name one in the plan file", quarter)
            return None
        if rpc.notifications.documents_received(office["code"], key):
            return None
        caller = Caller(org=office["code"], org_kind=office["kind"], role="admin", name=office["name"],
                        region=plan["plan"]["region"]["code"])
        figures = packs.gather(self.backend, caller, quarter)
        files = [{"filename": name, "content_type": content_type, "content_b64": base64.b64encode(content).decode()}
                 for name, content_type, content in (packs.render(self.backend, figures, f) for f in PACK_FORMATS)]
        title, line = pack_message(plan, quarter, self.portal_base)
        received = rpc.notifications.deliver_documents(office["code"], key, title, line, files)
        log.info("pack courier: the %s pack went to notifications for %s (%s), meeting on %s", quarter,
                 office["name"], received["digest"], meeting_day(quarter, self.working_days, self.calendar))
        return key
