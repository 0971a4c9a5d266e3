"""What a department reports, and the rules it must follow (no bus, no database here)."""
from __future__ import annotations

import datetime as dt
import difflib
import uuid
from typing import Literal

from libs.common.contracts.activity import ActivityContent, ActivityReport
from libs.common.errors import Violation, Violations, clip
from libs.common.plan.schema import Plan
from libs.common.wording import day, listing


def _title(field: str) -> str:
    """A report field's Chinese label (the contract's ``title``): 开始日期, 结束日期…"""
    return ActivityReport.model_fields[field].title or field


def check_against_plan(report: ActivityReport, plan: Plan, today: dt.date) -> Violations:
    """What is wrong with a report that only the plan and the clock can tell."""
    problems: Violations = []
    types = {t.code: t for t in plan.activity_types}
    quantity_names = {q.code: q.name for q in plan.quantities}
    atype = types.get(report.activity_type)
    if atype is None:
        typed = report.activity_type
        close = difflib.get_close_matches(typed, list(types), 3, 0.6)
        ordered = [*close, *(c for c in types if c not in close)]
        problems.append(Violation("activity_type", "unknown_activity_type",
                                  f"活动类型「{clip(typed)}」不在规划中；可选："
                                  + listing([f"{types[c].name}（{c}）" for c in ordered], limit=180,
                                            more="（见 GetPlan 或导入模板的「说明」页）")))
    else:
        carried = "、".join(f"{quantity_names.get(c, c)}（{c}）" for c in atype.quantities)
        for key in report.quantities:
            if key not in atype.quantities:
                name = f"{quantity_names[key]}（{key}）" if key in quantity_names else clip(key)
                problems.append(Violation(f"quantities.{key}", "quantity_not_carried",
                                          f"{atype.name}（{atype.code}）不填「{name}」这项数量；可填：{carried}"))
        carried_amounts = {k: v for k, v in report.quantities.items() if k in atype.quantities}
        problems += [Violation(field, "quantity_out_of_bounds", why)
                     for field, why in plan.quantity_problems(carried_amounts)]
    period = plan.meta.period
    days = {"start_date": report.start_date, "end_date": report.end_date}
    if report.end_date == report.start_date:
        del days["end_date"]  # one problem, not two, for a one-day activity
    for field, when in days.items():
        if not period.first_day <= when <= period.last_day:
            problems.append(Violation(field, "outside_plan_period",
                                      f"{_title(field)} {day(when)} 不在规划期（{day(period.first_day)} 至 "
                                      f"{day(period.last_day)}）内"))
    if report.start_date > today:
        problems.append(Violation("start_date", "in_future", f"开始日期 {day(report.start_date)} 晚于今天"
                                  f"（{day(today)}）；活动举办后再上报"))
    elif report.end_date > today:
        problems.append(Violation("end_date", "in_future", f"结束日期 {day(report.end_date)} 晚于今天"
                                  f"（{day(today)}）；活动结束后再上报，或把结束日期填为已举办到的那天"))
    return problems


# what cannot co-organise an activity: the region as a whole, and the category of the towns
NOT_ORGANISERS = frozenset({"county", "city", "province", "national", "town_category"})
KIND_NAMES = {"county": "县（全县）", "city": "市", "province": "省", "national": "全国",
              "town_category": "“各镇（园区）”这一类别"}


def check_orgs(report: ActivityReport, kinds: dict[str, str], reporter: str) -> Violations:
    """What is wrong with the town and co-organisers, given the kinds of the organisations that
    exist: a town must be a registered town; a co-organiser another real organisation that can
    organise something (not the reporter itself, the region, or "各镇（园区）")."""
    problems = []
    if report.town and kinds.get(report.town) != "town":
        problems.append(Violation("town", "unknown_town", f"「{clip(report.town)}」不是已登记的镇（园区）代码；"
                                  "请核对代码，或请管理员用 `kepu org register 代码 名称 --kind town` 登记该镇"))
    for i, code in enumerate(report.co_organisers):
        field = f"co_organisers.{i}"
        if code not in kinds:
            problems.append(Violation(field, "unknown_organisation", f"「{clip(code)}」不是已知的单位代码；"
                                      "请核对协办单位的代码"))
        elif code == reporter:
            problems.append(Violation(field, "self", f"「{clip(code)}」是上报单位自己；协办单位只填其他参与主办的单位"))
        elif kinds[code] in NOT_ORGANISERS:
            problems.append(Violation(field, "not_an_organiser",
                                      f"「{clip(code)}」是{KIND_NAMES.get(kinds[code], kinds[code])}，不能作协办单位；"
                                      "请填具体的部门、团体或镇（园区）"))
    return problems


def check_town_region(report: ActivityReport, regions: dict[str, str], reporter_region: str) -> Violations:
    """A town of another county is not where this reporter's activity took place: counted there, it
    would add to a neighbour's figures."""
    town_region = regions.get(report.town) if report.town else None
    if town_region is None or town_region == reporter_region:
        return []
    return [Violation("town", "outside_region", f"「{clip(report.town)}」属于{town_region}，不在本单位所在地区"
                      f"（{reporter_region}）；请填本地区的镇（园区）")]


def referenced_orgs(report: ActivityReport) -> list[str]:
    return [c for c in (report.town, *report.co_organisers) if c]


Outcome = Literal["created", "unchanged", "corrected", "invalid", "conflict"]


def outcome_for(stored: ActivityContent | None, retracted: bool, report: ActivityReport,
                correct_changed: bool) -> Outcome:
    """What a (re)sent report does: a new activity, nothing (a retry), a correction or a conflict.

    ``stored`` is what the report's external_id holds already (None: nothing). A retracted
    activity is never revived by a resend: that is a conflict, so a deleted row in a spreadsheet
    that comes back is noticed instead of silently counted again.
    """
    if stored is None:
        return "created"
    if retracted:
        return "conflict"
    if stored.content() == report.content():
        return "unchanged"
    return "corrected" if correct_changed else "conflict"


def conflict(external_id: str, activity_id: str, retracted: bool) -> Violation:
    if retracted:
        return Violation("external_id", "external_id_retracted",
                         f"编号「{clip(external_id)}」属于已撤回的活动 {activity_id}；要重新上报，请换一个新编号")
    return Violation("external_id", "external_id_reused",
                     f"编号「{clip(external_id)}」已用于活动 {activity_id}，内容不同；新活动请用新编号，"
                     "要修改该活动请用更正（CorrectActivity）")


def new_activity_id() -> str:
    return uuid.uuid4().hex
