"""The words ``kepu plan draft`` knows: organisation names, campaign days, section themes.

Codes are those of the seed plan (plans/dangshan-2021-2025.yaml), so that two counties' drafts name
the same department the same way. Organisation names are keyed by their *stem*: the name without the
level prefix (县/市/区) and without the region's own name, so 县教育局, 区教育局 and 萧县教育局 all map
to ``edu``.
"""
from __future__ import annotations

import re

ORGANISATION_STEMS: dict[str, tuple[str, str]] = {
    # stem: (code, kind)
    "人民政府": ("county-gov", "government"),
    "政府": ("county-gov", "government"),
    "全民科学素质工作领导小组": ("leading-group", "body"),
    "全民科学素质工作领导小组办公室": ("leading-group-office", "office"),
    "全民科学素质工作领导小组各成员单位": ("leading-group-members", "body"),
    "科学素质工作领导小组办公室": ("leading-group-office", "office"),
    "委组织部": ("organisation-dept", "department"),
    "委宣传部": ("publicity-dept", "department"),
    "精神文明建设推进中心": ("civilisation-centre", "body"),
    "文明办": ("civilisation-centre", "body"),
    "融媒体中心": ("media-centre", "body"),
    "发展改革委": ("development-reform", "department"),
    "发改委": ("development-reform", "department"),
    "教育局": ("edu", "department"),
    "教体局": ("edu", "department"),
    "教育体育局": ("edu", "department"),
    "科技局": ("science-tech", "department"),
    "科学技术局": ("science-tech", "department"),
    "经济和信息化局": ("economy-it", "department"),
    "经信局": ("economy-it", "department"),
    "民政局": ("civil-affairs", "department"),
    "财政局": ("finance", "department"),
    "人力资源和社会保障局": ("hrss", "department"),
    "人社局": ("hrss", "department"),
    "自然资源和规划局（林业局）": ("natural-resources", "department"),
    "自然资源和规划局": ("natural-resources", "department"),
    "自然资源局": ("natural-resources", "department"),
    "林业局": ("forestry", "department"),
    "生态环境分局": ("ecology-environment", "department"),
    "生态环境局": ("ecology-environment", "department"),
    "水利局": ("water-resources", "department"),
    "农业农村局": ("agriculture", "department"),
    "文化旅游体育局": ("culture-tourism-sports", "department"),
    "文化和旅游局": ("culture-tourism", "department"),
    "文旅局": ("culture-tourism", "department"),
    "卫生健康委": ("health", "department"),
    "卫健委": ("health", "department"),
    "卫生健康局": ("health", "department"),
    "应急局": ("emergency", "department"),
    "应急管理局": ("emergency", "department"),
    "市场监管局": ("market-regulation", "department"),
    "市场监督管理局": ("market-regulation", "department"),
    "数据资源局": ("data-resources", "department"),
    "数据资源管理局": ("data-resources", "department"),
    "气象局": ("meteorology", "department"),
    "总工会": ("trade-unions", "body"),
    "团委": ("youth-league", "body"),
    "妇联": ("women-federation", "body"),
    "科协": ("cast", "body"),
    "工商联": ("commerce-federation", "body"),
    "各镇（园区）": ("towns", "town_category"),
    "各镇": ("towns", "town_category"),
    "各乡镇": ("towns", "town_category"),
    "各乡镇（街道）": ("towns", "town_category"),
    "各街道": ("towns", "town_category"),
    "各镇（街道）": ("towns", "town_category"),
}

# The office that coordinates the plan: targets no sentence gives to anyone fall to it (as the seed does).
COORDINATING_OFFICE = "leading-group-office"

# A trailing parenthetical without 负责 is a list of units only if every name ends like a unit's name.
ORGANISATION_ENDINGS = ("局", "委", "部", "会", "办公室", "办", "中心", "联", "政府", "小组", "单位", "（园区）",
                        "（街道）", "镇", "院", "站", "馆", "团", "队")

_LEVEL_PREFIX = re.compile(r"^[县市区旗]")
_YOUTH_LEAGUE = re.compile(r"^团[县市区旗]委$")


def organisation_stem(name: str, region_name: str | None = None) -> str:
    """The name without the region's name and the level prefix: 萧县教育局 → 教育局, 团区委 → 团委."""
    name = name.strip()
    if region_name and name.startswith(region_name) and len(name) > len(region_name):
        name = name[len(region_name):]
    if _YOUTH_LEAGUE.match(name):
        return "团委"
    return _LEVEL_PREFIX.sub("", name) if len(name) > 2 else name


# Campaign days as written → the activity type code (the seed's where the seed names the day).
CAMPAIGN_DAYS: dict[str, str] = {
    "全国科普日": "national_science_day",
    "科普日": "national_science_day",
    "科技活动周": "science_week",
    "全国科技活动周": "science_week",
    "科技周": "science_week",
    "双创活动周": "innovation_week",
    "全国大众创业万众创新活动周": "innovation_week",
    "防灾减灾日": "disaster_reduction_day",
    "全国防灾减灾日": "disaster_reduction_day",
    "环境保护日": "environment_day",
    "世界环境日": "environment_day",
    "六五环境日": "environment_day",
    "食品安全宣传周": "food_safety_week",
    "公众科学日": "public_science_day",
    "世界地球日": "earth_day",
    "爱国卫生运动": "patriotic_health_campaign",
    "爱国卫生月": "patriotic_health_campaign",
    "世界气象日": "meteorology_day",
    "世界水日": "water_day",
    "中国水周": "water_week",
    "世界卫生日": "health_day",
    "全国安全生产月": "work_safety_month",
    "安全生产月": "work_safety_month",
    "全国低碳日": "low_carbon_day",
    "国际博物馆日": "museum_day",
    "全国节能宣传周": "energy_saving_week",
    "全国助残日": "disability_day",
    "世界读书日": "reading_day",
}

# Words of a section's title → the seed's section code.
SECTION_THEMES: tuple[tuple[str, str], ...] = (
    ("青少年", "youth"), ("农民", "farmers"), ("产业工人", "workers"), ("职工", "workers"),
    ("老年", "elderly"), ("领导干部", "officials"), ("公务员", "officials"),
    ("科技资源科普化", "resources"), ("信息化", "informatisation"), ("基础设施", "infrastructure"),
    ("基层", "grassroots"), ("交流合作", "exchange"), ("组织保障", "organisation"), ("机制保障", "mechanism"),
    ("条件保障", "conditions"), ("妇女", "women"), ("社区居民", "residents"),
)

# Units as written → the plan's unit.
UNITS: dict[str, str] = {"场次": "场次", "人次": "人次", "%": "%", "％": "%", "个": "个", "名": "人", "人": "人",
                         "次": "次", "场": "场次", "家": "个", "所": "个", "项": "个", "期": "期", "篇": "篇"}

CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
