"""``kepu plan draft``: what the rules find in the seed and in two fictional documents of its genre.

Seed (plans/source/dangshan-2021-2025.txt against plans/dangshan-2021-2025.yaml): 20 of its 20 targets
are found exactly (value, unit, kind, responsible set), with no extra target. Where the rules and the
seed's encoding agree only by a rule a reviewer should check (each such target is marked medium/low):
- literacy-rate (line 17): the goal names no unit; the draft gives it to the coordinating office
  because the document names 县全民科学素质工作领导小组办公室 (confidence low), as the seed's encoding does;
- high-quality-farmers, rural-talent-leaders, vocational-skill-training, science-courtyards,
  suzhou-craftsmen, suzhou-gold-workers (lines 27, 28, 32): no 每年/累计 word, read as cumulative (medium);
- high-skilled-talents (line 32): ``其中`` takes the kind of the target before it (stock, medium);
- city-science-bases (line 56): ``1至2个以上`` gives the floor, 1 (medium);
- rural-outreach, smart-mother, rural-children-science (line 61): ``每年每项`` splits into one target
  per quoted activity (medium);
- leadership-meetings (line 72): ``每季度召开一次`` is a number in Chinese (medium), and its unit list is
  a bare trailing ``（县全民科学素质工作领导小组办公室）`` without 负责.
Sections: all 13 with their groups, titles, lead units and numbered measures, except 组织保障, which
the seed splits from one unnumbered paragraph (line 69) into four measures titled by the encoder.
Not found by design: nothing the seed encodes as a target; misses would come from a number written
in words outside ``每…召开/开展一次``, or a target whose number and unit are split across sentences.

Fictional documents (tests/plans/documents/): the district's .txt 11/11, the county's .docx 6/6.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import docx
import yaml

from libs.common.plan import load_plan
from libs.common.plan.draft import Draft, DraftTarget, document_lines, draft_plan, responsible_names, split_names
from libs.common.plan.draft_yaml import draft_yaml
from libs.common.plan.schema import TRACKING_PREFIX

ROOT = Path(__file__).resolve().parents[3]
SEED_TEXT = ROOT / "plans/source/dangshan-2021-2025.txt"
SEED_PLAN = ROOT / "plans/dangshan-2021-2025.yaml"
DOCUMENTS = ROOT / "tests/plans/documents"
SEED_FLOOR = 20  # measured: 20 of 20


def _key(value: float, unit: str, kind: str, responsible: list[str]) -> tuple:
    return float(value), unit, kind, frozenset(responsible)


def _target_key(target: DraftTarget) -> tuple:
    return _key(target.value, target.unit, target.kind, target.responsible)


def _found(draft: Draft, expected: list[tuple]) -> tuple[int, list[tuple]]:
    """How many expected keys the draft has (each draft target used once), and the missing ones."""
    available = Counter(_target_key(t) for t in draft.targets)
    missing = []
    for key in expected:
        if available[key] > 0:
            available[key] -= 1
        else:
            missing.append(key)
    return len(expected) - len(missing), missing


def test_the_draft_of_the_seed_finds_its_targets_exactly():
    plan = load_plan(SEED_PLAN)
    targets = [i for i in plan.all_indicators() if i.target is not None and not i.code.startswith(TRACKING_PREFIX)]
    draft = draft_plan(document_lines(SEED_TEXT), "砀山县")

    matched, misses = 0, []
    unused = list(draft.targets)
    for indicator in targets:
        want = _key(indicator.target, indicator.unit, indicator.kind, indicator.responsible)
        hit = next((t for t in unused if _target_key(t) == want
                    and (indicator.source_text in t.source.text or t.source.text in indicator.source_text)), None)
        if hit is None:
            misses.append(indicator.code)
        else:
            matched += 1
            unused.remove(hit)
    print(f"seed: {matched}/{len(targets)} found exactly; missed {misses}; extra {[t.name for t in unused]}")
    assert len(targets) == 20
    assert matched >= SEED_FLOOR, misses
    assert not unused, "targets the seed does not encode"


def test_the_draft_of_the_seed_has_its_sections_units_and_campaign_days():
    plan = load_plan(SEED_PLAN)
    draft = draft_plan(document_lines(SEED_TEXT), "砀山县")

    assert [(s.code, s.group, s.title) for s in draft.sections] == [(s.code, s.group, s.title) for s in plan.sections]
    for section, seed in zip(draft.sections, plan.sections, strict=True):
        if seed.code == "organisation":
            # the seed splits this one unnumbered paragraph (line 69) into four measures of its own titles;
            # the draft leaves it to the reader (no numbered measure, no 任务 line)
            assert section.measures == [] and section.lead_units == []
            continue
        assert section.lead_units == seed.lead_units
        assert [(m.code, m.title, m.responsible) for m in section.measures] == \
               [(m.code, m.title, m.responsible) for m in seed.measures if m.code.rsplit("-", 1)[1].isdigit()]
    assert all(o.kind is not None for o in draft.organisations)
    campaign_names = {t.name for t in plan.activity_types if t.season is not None}  # the named days
    assert {c.name for c in draft.campaigns} == campaign_names
    assert (draft.title, draft.status, draft.period) == (plan.meta.title, "征求意见稿", (2021, 2025))


def test_every_target_says_its_line_sentence_and_confidence():
    draft = draft_plan(document_lines(SEED_TEXT), "砀山县")
    lines = document_lines(SEED_TEXT)
    for target in draft.targets:
        assert target.source.text in lines[target.source.line - 1]
        assert target.confidence in {"high", "medium", "low"}


def test_the_district_document_in_other_words_is_drafted():
    draft = draft_plan(document_lines(DOCUMENTS / "qingxi-district-2021-2025.txt"), "青溪区")
    expected = [
        _key(12, "%", "stock", ["leading-group-office"]),
        _key(3, "场次", "yearly", ["edu", "youth-league", "cast"]),
        _key(300, "人次", "cumulative", ["edu"]),
        _key(1500, "人", "cumulative", ["agriculture", "hrss", "org-1"]),
        _key(2, "个", "cumulative", ["agriculture", "hrss", "org-1"]),
        _key(6, "场次", "yearly", ["cast", "culture-tourism"]),
        _key(8, "个", "stock", ["cast", "culture-tourism"]),
        _key(4, "场次", "yearly", ["cast", "science-tech", "meteorology"]),
        _key(4, "场次", "yearly", ["cast", "science-tech", "meteorology"]),
        _key(3000, "人", "stock", ["publicity-dept", "cast"]),
        _key(1, "次", "quarterly", ["leading-group-office"]),
    ]
    found, missing = _found(draft, expected)
    print(f"district: {found}/{len(expected)}")
    assert missing == []
    assert len(draft.targets) == len(expected)
    assert [(o.code, o.name) for o in draft.organisations if o.kind is None] == [("org-1", "区城市管理局")]
    assert {c.code for c in draft.campaigns} == {"national_science_day", "science_week", "meteorology_day"}
    assert [s.code for s in draft.sections] == ["youth", "farmers", "infrastructure", "grassroots", "organisation"]
    assert draft.sections[1].lead_units == ["agriculture", "towns"]
    assert (draft.title, draft.status, draft.period) == ("青溪区全民科学素质行动实施方案（2021—2025年）", "试行", (2021, 2025))


def test_the_county_word_document_is_drafted(tmp_path):
    document = docx.Document()
    for paragraph in (DOCUMENTS / "shiqiao-county-2021-2025.paragraphs.txt").read_text(encoding="utf-8").splitlines():
        document.add_paragraph(paragraph)
    path = tmp_path / "实施方案.docx"
    document.save(str(path))

    draft = draft_plan(document_lines(path), "石桥县")
    expected = [
        _key(20, "期", "yearly", ["health", "civil-affairs", "women-federation"]),
        _key(500, "人次", "cumulative", ["health", "civil-affairs", "women-federation"]),
        _key(60, "%", "stock", ["civil-affairs"]),
        _key(1, "次", "quarterly", ["media-centre", "cast"]),
        _key(12, "场次", "yearly", ["media-centre", "cast"]),
        _key(15, "个", "stock", ["cast", "emergency", "health"]),
    ]
    found, missing = _found(draft, expected)
    print(f"county: {found}/{len(expected)}")
    assert missing == []
    assert len(draft.targets) == len(expected)
    assert {c.code for c in draft.campaigns} == {"health_day", "disaster_reduction_day"}
    assert [(s.code, s.lead_units) for s in draft.sections] == [
        ("elderly", ["health", "civil-affairs"]), ("informatisation", ["publicity-dept", "cast"]),
        ("grassroots", ["cast"])]
    assert draft.period == (2021, 2025)


def test_the_yaml_draft_parses_and_keeps_lines_and_confidences():
    draft = draft_plan(document_lines(SEED_TEXT), "砀山县")
    text = draft_yaml(draft, SEED_TEXT.name, "dangshan", "砀山县")
    data = yaml.safe_load(text)

    assert text.startswith("# DRAFT of a plan")
    assert "A person must still fill in or check" in text
    assert len(data["indicators"]) == len(draft.targets)
    assert data["plan"]["period"] == {"start": 2021, "end": 2025}
    assert len(re.findall(r"confidence (?:high|medium|low)", text)) == len(draft.targets) + len(draft.campaigns)
    assert data["indicators"][1]["source_text"] == "每年承接国家、省、市科技（科普）志愿服务专家团进校园开展巡讲活动不少于2场次"


def test_a_county_joining_its_city_gets_its_parent_and_every_code_prefixed_where_it_is_named():
    draft = draft_plan(document_lines(SEED_TEXT), "砀山县")
    data = yaml.safe_load(draft_yaml(draft, SEED_TEXT.name, "dangshan", "砀山县", parent="suzhou"))
    codes = {o["code"] for o in data["organisations"]}
    named = {c for s in data["sections"] for c in [*s["lead_units"], *(r for m in s["measures"] for r in
                                                                        m["responsible"])]}
    named |= {c for i in data["indicators"] for c in i["responsible"]}
    assert data["plan"]["region"]["parent"] == "suzhou"
    assert all(c.startswith("dangshan-") for c in codes) and "dangshan-edu" in codes
    assert named and named <= codes  # every unit a section or target names is one of the prefixed organisations
    alone = yaml.safe_load(draft_yaml(draft, SEED_TEXT.name, "dangshan", "砀山县"))
    assert "edu" in {o["code"] for o in alone["organisations"]} and "parent" not in alone["plan"]["region"]


def test_responsibility_clauses_are_read_with_nested_parentheses():
    assert split_names("县教育局、县自然资源和规划局（林业局）、各镇（园区）") == [
        "县教育局", "县自然资源和规划局（林业局）", "各镇（园区）"]
    assert responsible_names("……活动。（县教育局、县科协按职责分工负责）") == ["县教育局", "县科协"]
    assert responsible_names("……工作。（县委组织部负责）") == ["县委组织部"]
    assert responsible_names("……汇报。（县全民科学素质工作领导小组办公室）") == ["县全民科学素质工作领导小组办公室"]
    assert responsible_names("……设施（含流动设施）") == []


def test_kepu_plan_draft_writes_a_file_that_validate_reads_with_only_the_feeds_left_to_fill(tmp_path):
    from typer.testing import CliRunner

    from libs.cli.plan import app

    out = tmp_path / "draft.yaml"
    runner = CliRunner()
    drafted = runner.invoke(app, ["draft", str(SEED_TEXT), "--region", "dangshan", "--region-name", "砀山县",
                                  "--out", str(out)])
    assert drafted.exit_code == 0, drafted.output
    assert "20 targets" in drafted.output

    checked = runner.invoke(app, ["validate", str(out)], env={"COLUMNS": "250"})
    problems = [line for line in checked.output.splitlines() if line.startswith(str(out))]
    assert checked.exit_code == 1
    assert len(problems) == 20 and all(".feeds: List should have at least 1 item" in p for p in problems)
