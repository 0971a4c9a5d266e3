"""The Dangshan plan file encodes the whole seed text: units, sections, measures and every target."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from libs.common.plan import load_plan
from libs.common.plan.duties import duty_of, is_expected
from libs.common.plan.schema import Duty

REPO_ROOT = Path(__file__).resolve().parents[3]
PLAN_FILE = REPO_ROOT / "plans" / "dangshan-2021-2025.yaml"
SOURCE = REPO_ROOT / "plans" / "source" / "dangshan-2021-2025.txt"
SHARED_SEED = REPO_ROOT.parent / "shared" / "seed" / "000_a778eabecd33c60a.txt"

PLAN = load_plan(PLAN_FILE)
TEXT = SOURCE.read_text(encoding="utf-8")
NAMES = {o.code: o.name for o in PLAN.organisations}
CODES = {o.name: o.code for o in PLAN.organisations}
MEASURES = {m.code: (s, m) for s in PLAN.sections for m in s.measures}

# A unit named in the text: 县…局/委/会/中心/联/协/部/政府/办公室/小组/单位 or 团县委, standing on its
# own (not inside a longer word) and followed by what follows a unit in this text.
UNIT_NAME = re.compile(
    r"(?<![\u4e00-\u9fff])(团县委|县[\u4e00-\u9fff]{1,20}?(?:分局|局|委|会|中心|联|协|部|政府|办公室|小组|单位)"
    r"(?:（[\u4e00-\u9fff]{1,6}局）)?)(?=[、）\]]|按职责|负责|发挥|与|原则上)"
)
# "（县教育局、团县委、县科协按职责分工负责）" at the end of a measure; names may contain （…）.
RESPONSIBLE = re.compile(r"（((?:[^（）]|（林业局）|（园区）)+?)(?:按职责分工负责|负责)?）$")


def split_units(text: str) -> list[str]:
    return re.findall(r"县自然资源和规划局（林业局）|各镇（园区）|[^、]+", text)


def test_source_copy_is_the_seed():
    if not SHARED_SEED.exists():
        pytest.skip(f"shared seed not found at {SHARED_SEED} (the copy in plans/source is tested instead)")
    assert SOURCE.read_bytes() == SHARED_SEED.read_bytes()


def test_plan_metadata():
    meta = PLAN.meta
    assert meta.code == "dangshan-2021-2025"
    assert meta.title == "砀山县全民科学素质行动规划纲要实施方案（2021-2025年）"
    assert meta.title.replace("实施方案", "\n实施方案", 1) in TEXT
    assert meta.status == "征求意见稿" and f"（{meta.status}）" in TEXT
    assert (meta.region.code, meta.region.name, meta.region.level) == ("dangshan", "砀山县", "county")
    assert (meta.period.start, meta.period.end) == (2021, 2025)
    assert [p.document for p in meta.parents] == ["国发〔2021〕9号", "皖政办秘〔2021〕121号", "宿政办秘〔2022〕25号"]
    for parent in meta.parents:
        assert f"《{parent.title}》（{parent.document}" in TEXT


@pytest.mark.parametrize("code,name,kind", [
    ("county-gov", "县人民政府", "government"),
    ("leading-group-office", "县全民科学素质工作领导小组办公室", "office"),
    ("leading-group-members", "县全民科学素质工作领导小组各成员单位", "body"),
    ("cast", "县科协", "body"),
    ("edu", "县教育局", "department"),
    ("agriculture", "县农业农村局", "department"),
    ("youth-league", "团县委", "body"),
    ("towns", "各镇（园区）", "town_category"),
])
def test_required_organisation_codes(code, name, kind):
    org = PLAN.organisation(code)
    assert (org.name, org.kind) == (name, kind)


def test_every_unit_named_in_the_seed_is_declared_with_its_exact_name():
    named = set(UNIT_NAME.findall(TEXT))
    # the scan itself must work: these are certainly in the text
    assert {"县教育局", "团县委", "县自然资源和规划局（林业局）", "县委宣传部", "县生态环境分局", "县融媒体中心",
            "县工商联", "县人民政府", "县全民科学素质工作领导小组办公室", "县财政局"} <= named
    for line in TEXT.splitlines():  # every unit in a responsibility or lead list too
        m = RESPONSIBLE.search(line.strip())
        if m and ("县" in m.group(1) or "各镇" in m.group(1)):
            named.update(split_units(m.group(1)))
        lead = re.search(r"\[牵头单位：(.*)\]", line)
        if lead:
            named.update(split_units(lead.group(1)))
    missing = sorted(named - set(CODES))
    assert not missing, f"units named in the seed but not declared: {missing}"
    assert "各镇（园区）" in named


def test_organisation_names_are_unique_and_all_appear_in_the_seed():
    names = [o.name for o in PLAN.organisations]
    assert len(names) == len(set(names))
    for name in names:
        assert name in TEXT, name
    parents = {o.code: o.parent for o in PLAN.organisations}
    assert parents["county-gov"] is None
    assert all(parents[c] for c in parents if c != "county-gov")


SECTIONS = [  # code, group, title, lead unit names, measure count
    ("youth", "actions", "青少年科学素质提升行动", ["县教育局", "县科协", "各镇（园区）"], 4),
    ("farmers", "actions", "农民科学素质提升行动", ["县农业农村局", "各镇（园区）"], 2),
    ("workers", "actions", "产业工人科学素质提升行动", ["县总工会", "各镇（园区）"], 3),
    ("elderly", "actions", "老年人科学素质提升行动", ["县卫生健康委", "县民政局", "各镇（园区）"], 3),
    ("officials", "actions", "领导干部和公务员科学素质提升行动", ["县委组织部", "各镇（园区）"], 2),
    ("resources", "projects", "科技资源科普化工程", ["县科技局", "各镇（园区）"], 2),
    ("informatisation", "projects", "科普信息化提升工程", ["县委宣传部", "县科协", "各镇（园区）"], 2),
    ("infrastructure", "projects", "科普基础设施工程", ["县科技局", "县科协", "各镇（园区）"], 3),
    ("grassroots", "projects", "基层科普能力提升工程", ["县科协", "各镇（园区）"], 4),
    ("exchange", "projects", "科学素质交流合作工程", ["县科协", "各镇（园区）"], 2),
]


@pytest.mark.parametrize("code,group,title,leads,n_measures", SECTIONS, ids=[s[0] for s in SECTIONS])
def test_actions_and_projects_with_their_lead_units(code, group, title, leads, n_measures):
    section = {s.code: s for s in PLAN.sections}[code]
    assert (section.group, section.title) == (group, title)
    assert [NAMES[c] for c in section.lead_units] == leads
    assert f"[牵头单位：{'、'.join(leads)}]" in TEXT
    assert section.task and f"任务：{section.task}" in TEXT
    assert len(section.measures) == n_measures


def test_section_groups_in_order():
    groups = [s.group for s in PLAN.sections]
    assert groups[:10] == ["actions"] * 5 + ["projects"] * 5
    assert [s.title for s in PLAN.sections[10:]] == ["组织保障", "机制保障", "条件保障"]
    assert set(groups[10:]) == {"safeguards"}


def test_every_numbered_measure_is_encoded_with_its_text_and_responsible_units():
    """Each line "N.标题。正文（…按职责分工负责）" of the seed is a measure with exactly those units."""
    found = 0
    current = None
    titles = {s.title: s for s in PLAN.sections}
    for raw in TEXT.splitlines():
        line = raw.strip()
        heading = re.match(r"^（[一二三四五]）(.+)$", line)
        if heading and heading.group(1).strip() in titles:
            current = titles[heading.group(1).strip()]
            continue
        m = re.match(r"^(?:措施：)?(\d)\.([^。]+)。(.*)$", line)
        if not m or current is None:
            continue
        n, title, rest = m.groups()
        measure = {x.code: x for x in current.measures}[f"{current.code}-{n}"]
        assert measure.title == title
        assert f"{title}。{measure.text}" in line
        resp = RESPONSIBLE.search(rest)
        assert resp, line
        assert [NAMES[c] for c in measure.responsible] == split_units(re.sub(r"(按职责分工负责|负责)$", "", resp.group(1)))
        found += 1
    assert found == 33  # 4+2+3+3+2 + 2+2+3+4+2 + 4+2


def test_organisation_safeguards_keep_each_duty_with_its_unit():
    section = {s.code: s for s in PLAN.sections}["organisation"]
    assert [NAMES[c] for c in section.lead_units] == ["县全民科学素质工作领导小组办公室"]
    duties = {NAMES[m.responsible[0]]: m.text for m in section.measures}
    assert duties["县人民政府"].startswith("县人民政府负责领导")
    assert duties["各镇（园区）"].startswith("各镇（园区）负责")
    assert duties["县科协"].startswith("县科协发挥综合协调作用")
    for text in duties.values():
        assert text in TEXT
    assert "".join(m.text for m in section.measures) == section.task


# code: kind, target, unit, comparison, feeding (activity type, quantity)
INDICATORS = {
    "literacy-rate": ("stock", 13, "%", "at_least", ("literacy_survey", "percent")),
    "expert-school-tours": ("yearly", 2, "场次", "at_least", ("expert_school_tour", "sessions")),
    "high-quality-farmers": ("cumulative", 2000, "人", "at_least", ("high_quality_farmer_training", "people")),
    "rural-talent-leaders": ("cumulative", 40, "人次", "at_least", ("rural_talent_leader_training", "participants")),
    "vocational-skill-training": ("cumulative", 800, "人次", "at_least", ("vocational_skill_training", "participants")),
    "science-courtyards": ("cumulative", 1, "个", "at_least", ("science_courtyard", "items")),
    "suzhou-craftsmen": ("cumulative", 10, "人", "at_least", ("suzhou_craftsman_selection", "people")),
    "suzhou-gold-workers": ("cumulative", 20, "人", "at_least", ("suzhou_gold_worker_selection", "people")),
    "skilled-talents": ("stock", 70000, "人", "at_least", ("skilled_talent_census", "people")),
    "high-skilled-talents": ("stock", 10000, "人", "at_least", ("high_skilled_talent_census", "people")),
    "caravan-tours": ("yearly", 10, "场次", "at_least", ("caravan_tour", "sessions")),
    "city-science-bases": ("yearly", 1, "个", "at_least", ("city_science_base_creation", "items")),
    "volunteer-organisations": ("stock", 500, "个", "more_than", ("volunteer_org_census", "items")),
    "registered-volunteers": ("stock", 20000, "人", "more_than", ("volunteer_registry", "people")),
    "volunteer-service-activities": ("cumulative", 2000, "次", "more_than", ("volunteer_service_activity", "times")),
    "city-demo-units": ("yearly", 2, "个", "at_least", ("city_demo_unit_creation", "items")),
    "rural-outreach": ("yearly", 5, "场次", "at_least", ("rural_outreach", "sessions")),
    "smart-mother": ("yearly", 5, "场次", "at_least", ("smart_mother", "sessions")),
    "rural-children-science": ("yearly", 5, "场次", "at_least", ("rural_children_science", "sessions")),
    "leadership-meetings": ("quarterly", 1, "次", "at_least", ("leading_group_meeting", "events")),
}


def test_exactly_the_expected_indicators():
    assert [i.code for i in PLAN.indicators] == list(INDICATORS)


@pytest.mark.parametrize("code", list(INDICATORS))
def test_indicator_target(code):
    kind, target, unit, comparison, feed = INDICATORS[code]
    ind = PLAN.indicator(code)
    assert (ind.kind, ind.target, ind.unit, ind.comparison) == (kind, target, unit, comparison)
    assert [(f.activity_type, f.quantity) for f in ind.feeds] == [feed]
    assert ind.source_text and ind.source_text in TEXT
    assert ind.responsible
    if ind.measure:  # responsible units are the measure's (or the single unit it names)
        section, measure = MEASURES[ind.measure]
        assert ind.section == section.code
        assert set(ind.responsible) <= set(measure.responsible)
        assert ind.source_text in measure.text


def test_single_unit_duties():
    assert PLAN.indicator("caravan-tours").responsible == ["cast"]
    assert PLAN.indicator("leadership-meetings").responsible == ["leading-group-office"]
    meetings = PLAN.indicator("leadership-meetings")
    assert (meetings.section, meetings.measure) == ("mechanism", "mechanism-2")
    assert PLAN.indicator("caravan-tours").measure == "infrastructure-2"


def test_every_number_with_a_unit_in_the_seed_is_an_indicator():
    """No quantitative target is left out: each "N单位" of the text lies inside some source_text."""
    covered: list[tuple[int, int]] = []
    for ind in PLAN.indicators:
        start = TEXT.find(ind.source_text)
        while start != -1:
            covered.append((start, start + len(ind.source_text)))
            start = TEXT.find(ind.source_text, start + 1)
    numbers = list(re.finditer(r"\d+(?:\.\d+)?(?:万人|场次|人次|人|个|名|次|%)", TEXT))
    assert len(numbers) == 17  # the scan finds them all (a regex change must not hide any)
    for m in numbers:
        assert any(a <= m.start() and m.end() <= b for a, b in covered), f"not encoded: {m.group(0)}"
    assert "每季度召开一次调度会" in PLAN.indicator("leadership-meetings").source_text


CAMPAIGNS = {
    "national_science_day": "全国科普日", "science_week": "科技活动周", "innovation_week": "双创活动周",
    "disaster_reduction_day": "防灾减灾日", "environment_day": "环境保护日", "food_safety_week": "食品安全宣传周",
    "public_science_day": "公众科学日", "earth_day": "世界地球日", "patriotic_health_campaign": "爱国卫生运动",
}


def test_activity_types_named_in_the_seed():
    types = {t.code: t for t in PLAN.activity_types}
    named = {**CAMPAIGNS, "caravan_tour": "科普大篷车巡展", "rural_outreach": "科普惠民乡村行",
             "smart_mother": "智爱妈妈行动", "rural_children_science": "农村少儿爱科学"}
    for code, name in named.items():
        assert types[code].name == name and name in TEXT
    assert types["caravan_tour"].quantities == ["sessions", "participants"]
    assert "专家团进校园" in TEXT and types["expert_school_tour"].name == "专家团进校园巡讲"
    assert types["leading_group_meeting"].category == "meeting"
    assert types["literacy_survey"].quantities == ["percent"]
    assert types["volunteer_registry"].quantities == ["people"]


def test_quantities():
    units = {q.code: q.unit for q in PLAN.quantities}
    assert {"sessions": "场次", "participants": "人次", "people": "人", "items": "个", "times": "次",
            "percent": "%"}.items() <= units.items()


def test_tracking_indicators_for_campaign_days():
    tracking = {i.code: i for i in PLAN.all_indicators() if i.tracking}
    expected = {f"track.{code}.{q}" for code in CAMPAIGNS for q in ("events", "sessions", "participants")}
    assert set(tracking) == expected
    for code in CAMPAIGNS:
        assert tracking[f"track.{code}.sessions"].unit == "场次"
        assert tracking[f"track.{code}.participants"].unit == "人次"
        assert tracking[f"track.{code}.events"].unit == "次"
        assert all(i.kind == "yearly" and i.target is None for i in tracking.values())


def test_every_unit_reports_each_quarter_for_the_dispatch_meeting_of_line_72():
    """四、（二）2: the leading group meets each quarter and hears the towns and the member units."""
    line_72 = TEXT.splitlines()[71]
    assert "每季度召开一次调度会" in line_72 and "听取各镇（园区）及纲要领导小组成员单位" in line_72
    assert "县人民政府负责领导" in TEXT.splitlines()[68]  # line 69: the government leads, it does not report
    quarterly = Duty(every="quarter", due_working_days=10)
    assert duty_of(PLAN, "a-town-registered-later", "town") == quarterly
    exempt = {"county-gov", "leading-group", "leading-group-members"}
    assert set(PLAN.reporting.exempt) == exempt
    for org in PLAN.organisations:
        expected = None if org.code in exempt or org.kind == "town_category" else quarterly
        assert duty_of(PLAN, org.code, org.kind) == expected, org.code
    assert duty_of(PLAN, "leading-group-office", "office") == quarterly  # it holds and reports the 调度会


SEASONS = {  # national practice, not the seed (which names the campaigns without dates)
    "national_science_day": ("09-01", "09-30"), "science_week": ("05-01", "05-31"),
    "innovation_week": ("09-01", "10-31"), "disaster_reduction_day": ("05-06", "05-18"),
    "environment_day": ("06-01", "06-10"), "food_safety_week": ("06-01", "07-31"),
    "public_science_day": ("05-01", "05-31"), "earth_day": ("04-15", "04-30"),
    "patriotic_health_campaign": ("04-01", "04-30"),
}


def test_every_campaign_of_line_61_has_a_season():
    assert set(SEASONS) == set(CAMPAIGNS)
    line_61 = TEXT.splitlines()[60]
    for code, (starts, ends) in SEASONS.items():
        t = {t.code: t for t in PLAN.activity_types}[code]
        assert CAMPAIGNS[code] in line_61
        assert (t.season.starts, t.season.ends) == (starts, ends), code
    days = {code: {t.code: t for t in PLAN.activity_types}[code].season.days(2025) for code in SEASONS}
    assert days["disaster_reduction_day"][0] <= dt.date(2025, 5, 12) <= days["disaster_reduction_day"][1]
    assert days["environment_day"][0] <= dt.date(2025, 6, 5) <= days["environment_day"][1]
    assert days["earth_day"][0] <= dt.date(2025, 4, 22) <= days["earth_day"][1]
    assert {t.code for t in PLAN.activity_types if t.season} == set(SEASONS)


def test_those_expected_in_a_campaign_are_among_the_units_line_61_gives_it_to():
    _, measure = MEASURES["grassroots-3"]
    assert "开展爱国卫生运动、全国科普日" in measure.text
    for code in SEASONS:
        expected = PLAN.expected_from(code)
        assert expected and set(expected) <= set(measure.responsible), code
    assert is_expected(PLAN, "disaster_reduction_day", "emergency", "department")
    assert not is_expected(PLAN, "disaster_reduction_day", "edu", "department")
