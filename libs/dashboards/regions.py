"""The region a dashboard shows, as PromQL: its variables, the selectors of its indicator series and
the joins that carry ``region`` (two regions' plans may give one indicator code different targets,
names or units, so no join on indicator and window may leave the region out).

Every replica exports the same series (they differ in `instance`): each selector is reduced with
`one(...)` (max by its identifying labels) before a join or a sum, so nothing fails or doubles."""
from __future__ import annotations

from libs.dashboards.panels import variable

# the levels of the tree, top first: the region variable offers the top region first (its default)
LEVELS = ("national", "province", "city", "county")
REGION_NAMES = "max by (region, region_name) (kepu_plan_info{level=\"%s\"}) * 0 + %d"
REGION_QUERY = "query_result(sort_desc(%s))" % " or ".join(
    REGION_NAMES % (level, len(LEVELS) - rank) for rank, level in enumerate(LEVELS))
# Grafana's query_result lines read `{region="xiyun",region_name="西云市"} 2 1733...`: the code is the
# value, the name its text (named groups)
REGION_REGEX = '/region="(?<value>[^"]+)",region_name="(?<text>[^"]+)"/'

REGION = variable("region", "地区", REGION_QUERY, regex=REGION_REGEX, sort=0)
# the years of the chosen region's plans that have begun (their yearly windows), latest first
YEAR = variable("year", "年度", 'label_values(kepu_indicator_target{region="$region"}, window)',
                regex="/^([0-9]{4})$/", sort=2)
ORG = variable("org", "部门", 'label_values(kepu_indicator_responsible{region="$region"}, org)')

IN_REGION = 'region="$region"'
OWN = f'{IN_REGION}, scope="$region"'  # the region's own figure (not a department's, town's or region's part)
WINDOW = "region, indicator, window"
WINDOW_SCOPE = f"{WINDOW}, scope"
NAMED = ('* on(region, indicator) group_left(name, unit) '
         f'max by (region, indicator, name, unit) (kepu_indicator_info{{{IN_REGION}}})')
RESPONSIBLE = (' * on(region, indicator) group_left() '
               f'max by (region, indicator) (kepu_indicator_responsible{{{IN_REGION}, org="$org"}})')
# a region directly below (scope region:CODE) with its name from kepu_plan_info: labels child, child_name
SUBREGION_NAMES = ('* on(child) group_left(child_name) label_replace(label_replace(group by (region, region_name) '
                   '(kepu_plan_info), "child", "$1", "region", "(.+)"), "child_name", "$1", "region_name", "(.+)")')


def one(selector: str, by: str = WINDOW_SCOPE) -> str:
    return f"max by ({by}) ({selector})"


def subregions(expr: str) -> str:
    """``expr`` (series of scopes ``region:CODE``) with each child's code and name as labels."""
    return f'label_replace({expr}, "child", "$1", "scope", "region:(.+)") {SUBREGION_NAMES}'
