"""The five dashboards operators open (titles in Chinese, with units)."""
from __future__ import annotations

from grafanalib.core import Dashboard, Templating, Time

from libs.dashboards.panels import (
    PERIOD_STATE_MAPPINGS,
    YEAR_WINDOWS,
    Grid,
    bars,
    share_thresholds,
    stat,
    table,
    target,
    timeseries,
    variable,
)
from libs.dashboards.regions import (
    IN_REGION,
    NAMED,
    ORG,
    OWN,
    REGION,
    RESPONSIBLE,
    WINDOW,
    YEAR,
    one,
    subregions,
)


def _dashboard(uid: str, title: str, grid: Grid, variables: list, description: str) -> Dashboard:
    return Dashboard(title=title, uid=uid, description=description, panels=grid.panels, tags=["kepu"],
                     templating=Templating(list=variables), time=Time("now-30d", "now"), refresh="1m",
                     timezone="browser", editable=False).auto_panel_ids()


def _status_count(status: str) -> str:
    selector = 'kepu_indicator_status{%s, status="%s", %s}' % (OWN, status, YEAR_WINDOWS)
    return f"sum({one(selector, 'region, indicator, window, scope, status')})"


def _window_table(title: str, selector: str, extra: str = "", description: str = "") -> object:
    """One row per indicator window: status, shares of target and pace, projection, days left."""
    base = f"{{{OWN}, {YEAR_WINDOWS}{selector}}}"
    per_window = f"{{{IN_REGION}, {YEAR_WINDOWS}{selector}}}"
    return table(title, [
        target(f"{one('kepu_indicator_status_code' + base)} {NAMED}{extra}", instant=True, ref="A"),
        target(f"100 * kepu:indicator_target_share{base}{extra}", instant=True, ref="B"),
        target(f"100 * kepu:indicator_pace_share{base}{extra}", instant=True, ref="C"),
        target(f"100 * kepu:indicator_projected_target_share{base}{extra}", instant=True, ref="D"),
        target(f"{one('kepu_indicator_actual' + base)}{extra}", instant=True, ref="E"),
        target(f"{one('kepu_indicator_expected' + base)}{extra}", instant=True, ref="F"),
        target(f"{one('kepu_indicator_target' + per_window, WINDOW)}{extra}", instant=True, ref="G"),
        target(f"kepu:indicator_days_left{per_window}{extra}", instant=True, ref="H"),
    ], {"name": "指标", "window": "窗口", "unit": "单位", "Value #A": "状态", "Value #B": "目标完成率（%）",
        "Value #C": "进度完成率（%）", "Value #D": "预计完成率（%）", "Value #E": "已完成", "Value #F": "按进度应完成",
        "Value #G": "目标", "Value #H": "剩余天数"}, sort_by="状态", status_column="状态", description=description)


def plan_overview() -> Dashboard:
    g = Grid()
    g.add(stat("滞后（个）", _status_count("lagging"), colour="orange",
               description="年度及规划期指标窗口中状态为滞后的个数"), 6, 4)
    g.add(stat("未完成（个）", _status_count("missed"), colour="red"), 6, 4)
    g.add(stat("进度偏慢（个）", _status_count("at_risk"), colour="yellow"), 6, 4)
    g.add(stat("进度正常或已完成（个）",
               f"{_status_count('on_track')} + {_status_count('achieved')}", colour="green"), 6, 4)
    g.add(_window_table("规划目标一览（最差在前）", "", description="本年度、各季度及规划期（累计、存量）的每个目标："
                        "状态、完成率、按进度的完成率、按当前速度预计的年末（期末）完成率"), 24, 14)
    g.add(bars("目标完成率（%）", f'100 * kepu:indicator_target_share{{{OWN}, {YEAR_WINDOWS}}} {NAMED}',
               "{{name}}（{{window}}）", unit="percent", thresholds=share_thresholds()), 12, 16)
    g.add(bars("预计期末完成率（%）",
               f'100 * kepu:indicator_projected_target_share{{{OWN}, {YEAR_WINDOWS}}} {NAMED}',
               "{{name}}（{{window}}）", unit="percent", thresholds=share_thresholds(),
               description="按目前速度推算到窗口结束时的完成率；存量指标取最新值"), 12, 16)
    status = one(f'kepu_indicator_status{{{OWN}, {YEAR_WINDOWS}}}', "region, indicator, window, scope, status")
    g.add(timeseries("各状态指标数（个）", [target(f"sum by (status) ({status})", "{{status}}")]), 24, 8)
    _subregions(g)
    _completeness(g)
    return _dashboard("kepu-plan-overview", "规划总览", g, [REGION, YEAR],
                      "全民科学素质行动规划：每个目标的完成情况、进度与预计")


PARTS = f'{IN_REGION}, scope=~"region:.+", {YEAR_WINDOWS}'  # each region directly below: its part


def _subregions(g: Grid) -> None:
    """下级地区对比: each indicator of the chosen region with the parts of the regions directly below
    (a city's counties, a province's cities) side by side, named by their plans (kepu_plan_info)."""
    share = f"100 * {subregions(f'kepu:indicator_target_share{{{PARTS}}}')} {NAMED}"
    g.add(bars("下级地区对比：占本级目标（%）", share, "{{name}}（{{window}}）：{{child_name}}", unit="percent",
               max_=None, description="各下级地区计入本级指标的部分占本级目标的比例；无下级地区时为空"), 12, 14)
    g.add(table("下级地区对比", [
        target(f"{subregions(one(f'kepu_indicator_actual{{{PARTS}}}'))} {NAMED}", instant=True, ref="A"),
        target(share, instant=True, ref="B"),
    ], {"name": "指标", "child_name": "下级地区", "window": "窗口", "Value #A": "已完成", "unit": "单位",
        "Value #B": "占本级目标（%）"}, sort_by="指标", descending=False,
        description="本级指标中各下级地区（县、市）的部分，并列比较；按各指标本级的计数规则（含下级或仅本级）"), 12, 14)


# reporting periods (issue 19): the activities service's clock's current year, of the chosen
# region's organisations (each series names its organisation's region). A period not submitted has
# no kepu_period_activities series: its cell stays empty, never 0.
ORG_NAMES = "* on(org) group_left(name) max by (org, name) (kepu_organisation_info{%s})" % IN_REGION
OF_ORG = f'{IN_REGION}, org="$org"'  # the department's own series, in the chosen region


def _periods(metric: str, org: str = "") -> str:
    """Per organisation of the region the sum over its period kinds (replicas reduced first)."""
    selector = f'{metric}{{{IN_REGION}, org="{org}"}}' if org else f"{metric}{{{IN_REGION}}}"
    return f"sum by (org) ({one(selector, 'org, every')})"


SUBMITTED_SHARE = (f"100 * {_periods('kepu_reporting_submitted_periods')} "
                   f"/ ({_periods('kepu_reporting_expected_periods')} > 0)")


def _completeness(g: Grid) -> None:
    """The overview's 报送完成率: each organisation's expected periods submitted, lagging first."""
    g.add(bars("各单位报送完成率（%，最低在前）", f"sort({SUBMITTED_SHARE} {ORG_NAMES})", "{{name}}", unit="percent",
               thresholds=share_thresholds(), description="本年度截止日已过（或已提前报送）的报送期中已报送的比例"
               "（含本期无活动）；尚无应报送期的单位不显示（无值，不是0）"), 12, 16)
    g.add(table("报送情况（各单位，本年度）", [
        target(f"{_periods('kepu_reporting_expected_periods')} {ORG_NAMES}", instant=True, ref="A"),
        target(f"{_periods('kepu_reporting_submitted_periods')} {ORG_NAMES}", instant=True, ref="B"),
        target(f"{_periods('kepu_reporting_on_time_periods')} {ORG_NAMES}", instant=True, ref="C"),
        target(f"{SUBMITTED_SHARE} {ORG_NAMES}", instant=True, ref="D"),
    ], {"name": "单位", "Value #A": "应报送（期）", "Value #B": "已报送（期）", "Value #C": "按时报送（期）",
        "Value #D": "报送完成率（%）"}, sort_by="报送完成率（%）", descending=False,
        description="逾期未报送的期不计为0：它只是没有报送"), 12, 16)


def department() -> Dashboard:
    g = Grid()
    g.add(stat("本部门预警（条）", f"sum(max by (severity) (kepu_alerts_firing{{{OF_ORG}}})) or vector(0)",
               colour="orange", description="发给本部门、仍未恢复的本地区预警"), 6, 4)
    g.add(stat("近30天报送活动（场）", f"sum(increase(kepu_activities_recorded_total{{{OF_ORG}}}[30d])) or vector(0)"),
          6, 4)
    responsible = one(f'kepu_indicator_responsible{{{IN_REGION}, org="$org"}}', "region, indicator")
    g.add(stat("负责指标（个）", f"count({responsible})"), 6, 4)
    behind = one(f'kepu_indicator_status{{{OWN}, status=~"lagging|missed", {YEAR_WINDOWS}}}',
                 "region, indicator, window, scope, status")
    g.add(stat("其中滞后或未完成（个）", f"sum({behind}{RESPONSIBLE}) or vector(0)", colour="red"), 6, 4)
    g.add(_window_table("本部门负责的指标", "", extra=RESPONSIBLE), 24, 12)
    g.add(timeseries("本部门报送（场/天）", [target(
        f"sum by (activity_type) (increase(kepu_activities_recorded_total{{{OF_ORG}}}[1d]))", "{{activity_type}}")]),
        12, 9)
    contributed = one('kepu_indicator_actual{%s, scope="org:$org", %s}' % (IN_REGION, YEAR_WINDOWS))
    g.add(bars("本部门在各指标中的贡献", f"{contributed} {NAMED}",
               "{{name}}（{{window}}）", max_=None, description="本部门报送的活动计入各指标的数量（按各指标单位）"),
          12, 9)
    _reporting(g)
    return _dashboard("kepu-department", "部门", g, [REGION, YEAR, ORG], "一个部门负责的指标与近期报送")


def _reporting(g: Grid) -> None:
    """The department's 报送情况: its periods of this year, counted and one by one."""
    for title, metric, description in (
            ("本年应报送（期）", "kepu_reporting_expected_periods", "截止日已过或已提前报送的报送期"),
            ("已报送（期）", "kepu_reporting_submitted_periods", "含本期无活动（零报告）"),
            ("按时报送（期）", "kepu_reporting_on_time_periods", "在截止日（按中国法定工作日计算）前报送")):
        g.add(stat(title, _periods(metric, "$org"), description=description), 8, 4)
    state = one(f"kepu_reporting_period_state_code{{{OF_ORG}}}", "org, period")
    g.add(table("报送情况（本年度各期）", [
        target(state, instant=True, ref="A"),
        target(one(f"kepu_period_activities{{{OF_ORG}}}", "org, period"), instant=True, ref="B"),
    ], {"period": "报送期", "Value #A": "状态", "Value #B": "活动（场）"}, sort_by="报送期", descending=False,
        status_column="状态", mappings=PERIOD_STATE_MAPPINGS, description="未报送的期没有活动数（显示为空，不是0）；"
        "本期无活动的零报告显示0"), 24, 9)


# the chosen region's towns (each town's series name its region; a town is in its county's)
TOWNS = f'kepu_organisation_info{{{IN_REGION}, kind="town"}}'
TOWN_NAMES = ('* on(town) group_left(name, example) label_replace(max by (org, name, example) '
              f'({TOWNS}), "town", "$1", "org", "(.+)")')
TOWN_YEAR = variable("year", "年度", f"label_values(kepu_town_activities{{{IN_REGION}}}, year)", sort=2)


def _town(metric: str) -> str:
    return one(f'{metric}{{{IN_REGION}, year="$year"}}', "town, year")


def towns() -> Dashboard:
    g = Grid()
    g.add(stat("登记的镇（个）", f"count(max by (org) ({TOWNS}))",
               description="本地区由运维登记的镇；示例数据标为 example=true"), 8, 4)
    g.add(stat("$year年各镇活动（场）", f"sum({_town('kepu_town_activities')})"), 8, 4)
    g.add(stat("$year年各镇参与（人次）", f"sum({_town('kepu_town_participants')})"), 8, 4)
    g.add(bars("各镇活动数（场）", f"{_town('kepu_town_activities')} {TOWN_NAMES}", "{{name}}", max_=None), 12, 12)
    g.add(bars("各镇参与人次（人次）", f"{_town('kepu_town_participants')} {TOWN_NAMES}", "{{name}}", max_=None),
          12, 12)
    g.add(table("各镇明细", [target(f"{_town('kepu_town_activities')} {TOWN_NAMES}", instant=True, ref="A"),
                            target(f"{_town('kepu_town_participants')} {TOWN_NAMES}", instant=True, ref="B")],
                {"name": "镇", "example": "示例数据", "Value #A": "活动（场）", "Value #B": "参与（人次）"},
                sort_by="活动（场）"), 24, 10)
    return _dashboard("kepu-towns", "各镇", g, [REGION, TOWN_YEAR], "本地区各镇举办的活动与参与人次（撤回的活动不计）")


def _campaign(measure: str) -> str:
    """A campaign day's tracking series of one measure (events, sessions or participants), named."""
    selector = f'kepu_indicator_actual{{{OWN}, window="$year", indicator=~"track[.].+[.]{measure}"}}'
    return f"{one(selector)} {NAMED}"


def campaign_days() -> Dashboard:
    g = Grid()
    g.add(bars("$year年主题活动：活动（次）", _campaign("events"), "{{name}}", max_=None), 8, 14)
    g.add(bars("$year年主题活动：场次（场次）", _campaign("sessions"), "{{name}}", max_=None), 8, 14)
    g.add(bars("$year年主题活动：参与（人次）", _campaign("participants"), "{{name}}", max_=None), 8, 14)
    g.add(timeseries("主题活动参与人次（人次，累计至当日）", [target(_campaign("participants"), "{{name}}")]), 24, 9)
    return _dashboard("kepu-campaign-days", "主题活动", g, [REGION, YEAR],
                      "全国科普日、科技活动周等主题活动的年度统计（无目标，只统计）")


def pipeline_health() -> Dashboard:
    g = Grid()
    g.add(stat("运行中的进程（个）", 'sum(up{job=~"kepu-.*"})', colour="green"), 6, 4)
    g.add(stat("死信队列（条）", 'sum(rabbitmq_queue_messages{queue="kepu.parked"})', colour="red",
               description="无法处理而暂存的事件：kepu dead-letters list"), 6, 4)
    g.add(stat("待发布事件（条）", "sum(max by (service) (kepu_outbox_pending))", colour="orange"), 6, 4)
    g.add(stat("搁置的预警投递（条）", "sum(max by (channel) (kepu_alert_deliveries_parked)) or vector(0)",
               colour="red", description="kepu alert deliveries --failed"), 6, 4)
    g.add(timeseries("gRPC 调用（次/秒，按状态码）", [target(
        "sum by (code) (rate(kepu_gateway_requests_total[5m]))", "{{code}}")], unit="reqps"), 12, 8)
    g.add(timeseries("gRPC 延迟 p95（秒）", [target(
        "histogram_quantile(0.95, sum by (le, method) (rate(kepu_gateway_request_seconds_bucket[5m])))",
        "{{method}}")], unit="s"), 12, 8)
    g.add(timeseries("事件发布（条/秒）", [target(
        "sum by (service) (rate(kepu_outbox_published_total[5m]))", "{{service}}")], unit="ops"), 12, 8)
    g.add(timeseries("事件处理（条/秒，按结果）", [target(
        "sum by (service, outcome) (rate(kepu_events_handled_total[5m]))", "{{service}} {{outcome}}")],
        unit="ops"), 12, 8)
    g.add(timeseries("处理延迟 p95（秒/批）", [target(
        "histogram_quantile(0.95, sum by (le, service) (rate(kepu_event_batch_seconds_bucket[5m])))",
        "{{service}}")], unit="s"), 12, 8)
    g.add(timeseries("队列深度（条）", [target(
        'sum by (queue) (rabbitmq_queue_messages{queue=~"evt-.*|kepu\\\\..*"})', "{{queue}}")]), 12, 8)
    g.add(timeseries("待发布事件（条）", [target("max by (service) (kepu_outbox_pending)", "{{service}}")]), 8, 8)
    g.add(timeseries("预警（条，按级别）", [target(
        "sum by (severity) (max by (severity, org, region) (kepu_alerts_firing))", "{{severity}}")]), 8, 8)
    g.add(timeseries("预警投递（次/小时，按渠道与结果）", [target(
        "sum by (channel, outcome) (increase(kepu_alert_deliveries_total[1h]))", "{{channel}} {{outcome}}")]), 8, 8)
    return _dashboard("kepu-pipeline", "运行状况", g, [], "gRPC、事件、队列、预警投递：系统本身是否健康")


ALL = {"plan-overview": plan_overview, "department": department, "towns": towns, "campaign-days": campaign_days,
       "pipeline-health": pipeline_health}
