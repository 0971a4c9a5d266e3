"""Read a county's 实施方案 (the seed's genre) into a plan draft, by rules and dictionaries.

Pure: lines of text in, a ``Draft`` out (no bus, no database, no model). What the rules see:
- headings ``二、五大提升行动`` / ``三、五项重点工程`` / ``四、保障措施`` give a section group, ``（一）…``
  a section, ``措施：1.…`` or ``2.…`` / ``（2）…`` a measure, ``任务：…[牵头单位：…]`` a section's task
  and lead units;
- a paragraph's trailing ``（…按职责分工负责）`` / ``（…负责）`` / ``（unit、unit）`` names who answers for
  every target in it;
- a number with a unit (不少于2场次, 达到13%, 10名, 7万人, 1至2个以上, 每季度召开一次) is a target; its
  clause says its kind: 每年/年均/全年 yearly, 每季度 quarterly, 累计/共 cumulative, 达到/超过 by a year or a
  percentage stock (a level), ``其中`` the kind of the target before it, nothing said cumulative;
- campaign days are found by name (``draft_words.CAMPAIGN_DAYS``).
Each item keeps the line and sentence it came from and a confidence, so a person reviews the draft.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

from libs.common.plan import draft_words as words

Confidence = Literal["high", "medium", "low"]
Kind = Literal["yearly", "quarterly", "cumulative", "stock"]


@dataclass(frozen=True)
class Source:
    line: int  # 1-based paragraph number (the line of a .txt)
    text: str  # the sentence the item came from


@dataclass
class DraftOrganisation:
    code: str
    name: str
    kind: str | None  # None: unknown to the dictionary (the code is made up)
    line: int


@dataclass
class DraftMeasure:
    code: str
    title: str
    text: str
    responsible: list[str]
    line: int


@dataclass
class DraftSection:
    code: str
    group: str
    title: str
    line: int
    task: str = ""
    lead_units: list[str] = field(default_factory=list)
    measures: list[DraftMeasure] = field(default_factory=list)


@dataclass
class DraftTarget:
    name: str
    value: float
    unit: str
    kind: Kind
    comparison: Literal["at_least", "more_than"]
    responsible: list[str]
    source: Source
    confidence: Confidence
    section: str | None = None
    measure: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class DraftCampaign:
    code: str
    name: str
    source: Source
    confidence: Confidence


@dataclass
class Draft:
    title: str
    status: str | None
    period: tuple[int, int] | None
    organisations: list[DraftOrganisation]
    sections: list[DraftSection]
    targets: list[DraftTarget]
    campaigns: list[DraftCampaign]


def prefixed(draft: Draft, prefix: str) -> Draft:
    """The draft with every organisation code prefixed (``qinghe-edu``), in the organisations and
    wherever a code is named: organisation codes are one namespace across the regions a system
    follows, and every county's document names the same 县教育局."""
    def code(c: str) -> str:
        return c if not prefix or c.startswith(prefix) else f"{prefix}{c}"

    def codes(cs: list[str]) -> list[str]:
        return [code(c) for c in cs]

    return dataclasses.replace(
        draft,
        organisations=[dataclasses.replace(o, code=code(o.code)) for o in draft.organisations],
        sections=[dataclasses.replace(s, lead_units=codes(s.lead_units), measures=[
            dataclasses.replace(m, responsible=codes(m.responsible)) for m in s.measures]) for s in draft.sections],
        targets=[dataclasses.replace(t, responsible=codes(t.responsible)) for t in draft.targets])


def document_lines(path: Path) -> list[str]:
    """The document's paragraphs, one per line: a .docx through python-docx, anything else as UTF-8 text."""
    if path.suffix.lower() == ".docx":
        import docx  # python-docx, only needed for Word documents

        return [p.text for p in docx.Document(str(path)).paragraphs]
    return path.read_text(encoding="utf-8-sig").splitlines()


# --- organisations -------------------------------------------------------------------------------

class OrganisationNames:
    """Names → codes: the dictionary's where the stem is known, else ``org-N`` (a TODO for the reader)."""

    def __init__(self, region_name: str | None) -> None:
        self.region_name = region_name
        self.by_name: dict[str, DraftOrganisation] = {}

    def code(self, name: str, line: int) -> str:
        name = name.strip()
        if name not in self.by_name:
            known = words.ORGANISATION_STEMS.get(words.organisation_stem(name, self.region_name))
            code, kind = known if known else (f"org-{sum(o.kind is None for o in self.by_name.values()) + 1}", None)
            self.by_name[name] = DraftOrganisation(code=code, name=name, kind=kind, line=line)
        return self.by_name[name].code

    def organisations(self) -> list[DraftOrganisation]:
        """One per code, first name seen wins (two names of one unit share a code)."""
        seen: dict[str, DraftOrganisation] = {}
        for org in self.by_name.values():
            seen.setdefault(org.code, org)
        return list(seen.values())


def split_names(text: str) -> list[str]:
    """Split ``县教育局、县自然资源和规划局（林业局）、各镇（园区）`` at 、 outside parentheses."""
    names, depth, current = [], 0, ""
    for char in text:
        depth += {"（": 1, "(": 1, "）": -1, ")": -1}.get(char, 0)
        if char in "、，," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += char
    names.append(current)
    return [n.strip() for n in names if n.strip()]


def trailing_clause(paragraph: str) -> tuple[str, str] | None:
    """The balanced ``（…）`` that ends a paragraph, and the paragraph before it."""
    text = paragraph.rstrip()
    if not text.endswith(("）", ")")):
        return None
    depth = 0
    for index in range(len(text) - 1, -1, -1):
        depth += {"）": 1, ")": 1, "（": -1, "(": -1}.get(text[index], 0)
        if depth == 0:
            return text[index + 1:-1], text[:index]
    return None


_DUTY = re.compile(r"(?:按职责分工)?(?:共同)?负责$")


def responsible_names(paragraph: str) -> list[str]:
    """The units a paragraph's trailing clause names (``（A、B按职责分工负责）``, ``（A负责）``, ``（A、B）``)."""
    found = trailing_clause(paragraph)
    if found is None:
        return []
    clause = found[0].strip()
    if _DUTY.search(clause):
        return split_names(_DUTY.sub("", clause))
    names = split_names(clause)
    return names if names and all(n.endswith(words.ORGANISATION_ENDINGS) for n in names) else []


_LEAD = re.compile(r"[\[【［]\s*牵头单位[：:](?P<names>.*?)[\]】］]")


# --- targets -------------------------------------------------------------------------------------

_UNIT_WORDS = "|".join(sorted((re.escape(u) for u in words.UNITS), key=len, reverse=True))
_QUANTITY = re.compile(
    r"(?<![\d.])(?P<num>\d+(?:\.\d+)?)(?:\s*(?:至|-|—|~)\s*(?P<upper>\d+(?:\.\d+)?))?\s*(?P<wan>万)?"
    rf"(?P<unit>{_UNIT_WORDS})(?![\d])")
_FREQUENCY = re.compile(r"每(?P<every>季度|年|半年|月)[^，。；]{0,8}?(?:召开|开展|举办|组织)"
                        r"(?P<num>[一二两三四五六七八九十])次")
_BY_YEAR = re.compile(r"到20\d\d年")
_MORE_THAN = ("超过", "多于", "大于")
_NOISE = re.compile(r"到20\d\d年|每年每项|每年|年均|每季度|不少于|不低于|达到|超过|多于|累计|以上|其中|全年|共计|共|"
                    r"力争")
_QUOTED = re.compile(r"[“\"]([^”\"]+)[”\"]")


def sentences(paragraph: str) -> list[str]:
    """A paragraph cut at 。；！ (the trailing responsibility clause stays with the last sentence)."""
    return [s for s in re.split(r"(?<=[。；！])", paragraph) if s.strip()]


def _clause_bounds(sentence: str, start: int, end: int) -> tuple[int, int]:
    left = max(sentence.rfind(mark, 0, start) for mark in "，,：:") + 1
    rights = [i for i in (sentence.find(mark, end) for mark in "，,。；") if i >= 0]
    return left, min(rights) if rights else len(sentence)


def _kind(clause: str, sentence: str, before: Kind | None) -> tuple[Kind, Confidence, str]:
    """The target's kind from its clause (and the sentence for 到YYYY年), with why."""
    if re.search(r"累计|共计|^共|年共", clause):
        return "cumulative", "high", "累计/共"
    if re.search(r"每年|年均|全年", clause):
        return "yearly", "high", "每年/年均/全年"
    if "每季度" in clause:
        return "quarterly", "high", "每季度"
    if clause.startswith("其中") and before is not None:
        return before, "medium", "其中: the kind of the target before it"
    if re.search(r"[%％]|比例|比率|覆盖率", clause):
        return "stock", "high", "a percentage is a level"
    if re.search("达到|" + "|".join(_MORE_THAN), clause) and _BY_YEAR.search(sentence):
        return "stock", "high", "到YYYY年…达到/超过: a level at the end"
    if re.search("达到|" + "|".join(_MORE_THAN), clause):
        return "stock", "medium", "达到/超过 without a year: read as a level"
    return "cumulative", "medium", "no 每年/累计/达到: read as a total over the plan period"


def _name(text: str) -> str:
    return _NOISE.sub("", _QUANTITY.sub("", text)).strip("，、。；：:,. “”\"")


@dataclass
class _Found:
    start: int
    end: int
    value: float
    unit: str
    notes: list[str]


def _quantities(sentence: str) -> list[_Found]:
    found = []
    for match in _QUANTITY.finditer(sentence):
        value = float(match["num"]) * (10000 if match["wan"] else 1)
        notes = [f"range {match['num']}至{match['upper']}: the floor is the target"] if match["upper"] else []
        if match["unit"] == "名":
            notes.append("名 is counted in 人")
        found.append(_Found(match.start(), match.end(), value, words.UNITS[match["unit"]], notes))
    for match in _FREQUENCY.finditer(sentence):
        found.append(_Found(match.start("num"), match.end(), float(words.CHINESE_DIGITS[match["num"]]), "次",
                            ["a number written in Chinese"]))
    return sorted(found, key=lambda f: f.start)


class TargetReading(NamedTuple):
    """One target as a sentence states it (who answers for it comes from the paragraph)."""
    name: str
    value: float
    unit: str
    kind: Kind
    comparison: Literal["at_least", "more_than"]
    confidence: Confidence
    notes: list[str]


def sentence_targets(sentence: str) -> list[TargetReading]:
    """Every target in one sentence, in order."""
    results: list[TargetReading] = []
    found = _quantities(sentence)
    previous_kind: Kind | None = None
    for index, quantity in enumerate(found):
        left, right = _clause_bounds(sentence, quantity.start, quantity.end)
        clause = sentence[left:right]
        kind, confidence, why = _kind(clause, sentence, previous_kind)
        previous_kind = kind
        more_than = any(w in clause for w in _MORE_THAN)
        comparison: Literal["at_least", "more_than"] = "more_than" if more_than else "at_least"
        notes = [f"kind: {why}", *quantity.notes]
        if quantity.notes and confidence == "high":
            confidence = "medium"
        quoted = _QUOTED.findall(sentence[:quantity.start])
        if "每项" in clause and len(quoted) >= 2:
            notes.append("每项: one target for each quoted activity")
            results += [TargetReading(q, quantity.value, quantity.unit, kind, comparison, "medium", notes)
                        for q in quoted]
            continue
        seg_start, seg_end = left, right  # several targets in one clause: cut at the 、 between them
        if index and found[index - 1].end > left:
            seg_start = max(left, sentence.rfind("、", found[index - 1].end, quantity.start) + 1)
        if index + 1 < len(found) and found[index + 1].start < right:
            cut = sentence.rfind("、", quantity.end, found[index + 1].start)
            seg_end = cut if cut >= 0 else right
        name = _name(sentence[seg_start:seg_end]) or _name(clause) or _name(sentence)
        results.append(TargetReading(name, quantity.value, quantity.unit, kind, comparison, confidence, notes))
    return results


# --- the document --------------------------------------------------------------------------------

_TOP = re.compile(r"^(?P<num>[一二三四五六七八九十]+)[、.．]\s*(?P<title>.+)$")
_SECTION = re.compile(r"^[（(](?P<num>[一二三四五六七八九十]+)[)）]\s*(?P<title>.+)$")
_MEASURE = re.compile(r"^(?:措施[：:])?\s*(?:(?P<num>\d+)[.．、]|[（(](?P<pnum>\d+)[)）])\s*(?P<body>.+)$")
_TASK = re.compile(r"^任务[：:](?P<text>.*)$")


def _group(title: str) -> str | None:
    if "保障" in title:
        return "safeguards"
    if "工程" in title:
        return "projects"
    if "行动" in title:
        return "actions"
    return None


def _section_code(title: str, taken: set[str]) -> str:
    code = next((c for word, c in words.SECTION_THEMES if word in title), f"section-{len(taken) + 1}")
    while code in taken:
        code += "-b"
    return code


class _Reader:
    """Walks the paragraphs once, keeping the current group, section and measure."""

    def __init__(self, region_name: str | None) -> None:
        self.orgs = OrganisationNames(region_name)
        self.sections: list[DraftSection] = []
        self.targets: list[DraftTarget] = []
        self.campaigns: dict[str, DraftCampaign] = {}
        self.group: str | None = None
        self.section: DraftSection | None = None

    def codes(self, names: list[str], line: int) -> list[str]:
        return list(dict.fromkeys(self.orgs.code(n, line) for n in names))

    def paragraph(self, line: int, text: str) -> None:
        text = text.strip()
        if not text:
            return
        if top := _TOP.match(text):
            self.group, self.section = _group(top["title"]), None
            return
        if (heading := _SECTION.match(text)) and len(text) < 40:
            self.section = None
            if self.group:
                title = heading["title"].strip()
                self.section = DraftSection(code=_section_code(title, {s.code for s in self.sections}),
                                            group=self.group, title=title, line=line)
                self.sections.append(self.section)
            return
        self.campaign_days(line, text)
        responsible = self.codes(responsible_names(text), line)
        measure = self.structure(line, text, responsible)
        self.find_targets(line, text, responsible, measure)

    def structure(self, line: int, text: str, responsible: list[str]) -> DraftMeasure | None:
        """Record a task's lead units or a measure; the measure the paragraph is, if any."""
        if self.section is None:
            return None
        if task := _TASK.match(text):
            lead = _LEAD.search(task["text"])
            self.section.lead_units = self.codes(split_names(lead["names"]), line) if lead else []
            self.section.task = _LEAD.sub("", task["text"]).strip()
            return None
        match = _MEASURE.match(text)
        if not match:
            return None
        body = match["body"]
        found = trailing_clause(body)
        if found is not None and responsible:
            body = found[1]
        title, _, rest = body.partition("。")
        measure = DraftMeasure(code=f"{self.section.code}-{len(self.section.measures) + 1}", title=title.strip(),
                               text=rest.strip(), responsible=responsible, line=line)
        self.section.measures.append(measure)
        return measure

    def find_targets(self, line: int, text: str, responsible: list[str], measure: DraftMeasure | None) -> None:
        for sentence in sentences(text):
            clause = trailing_clause(sentence)
            bare = clause[1] if clause is not None and responsible else sentence
            for name, value, unit, kind, comparison, confidence, notes in sentence_targets(bare):
                who, notes = responsible, list(notes)
                if not who and self.section is not None and self.section.lead_units:
                    who, confidence = self.section.lead_units, "low"
                    notes.append("no unit named in the paragraph: the section's 牵头单位")
                self.targets.append(DraftTarget(
                    name=name, value=value, unit=unit, kind=kind, comparison=comparison, responsible=list(who),
                    source=Source(line, bare.strip().rstrip("。；")), confidence=confidence,
                    section=self.section.code if self.section else None,
                    measure=measure.code if measure else None, notes=notes))

    def campaign_days(self, line: int, text: str) -> None:
        for name, code in sorted(words.CAMPAIGN_DAYS.items(), key=lambda item: -len(item[0])):
            if name in text and code not in self.campaigns:
                sentence = next(s for s in sentences(text) if name in s)
                self.campaigns[code] = DraftCampaign(code, name, Source(line, sentence.strip()), "high")

    def unowned_to_office(self) -> None:
        """Targets nobody is named for go to the coordinating office, when the document names it (low)."""
        codes = {o.code for o in self.orgs.organisations()}
        if words.COORDINATING_OFFICE not in codes:
            return
        for target in self.targets:
            if not target.responsible:
                target.responsible = [words.COORDINATING_OFFICE]
                target.confidence = "low"
                target.notes.append("no unit named: the office that coordinates the plan")


_ARTEFACT = re.compile(r"\[bookmark:[^\]]*\]")
_STATUS = re.compile(r"^[（(](?P<status>[^）)]*稿|[^）)]*试行)[）)]$")
_PERIOD = re.compile(r"(?P<start>20\d\d)\s*[-—–~至]\s*(?P<end>20\d\d)")


def title_lines(lines: list[str]) -> tuple[str, str | None, tuple[int, int] | None]:
    """Title, status (征求意见稿 …) and period of the short lines that open the document."""
    title, status = "", None
    for raw in lines:
        text = _ARTEFACT.sub("", raw).strip()
        if not text:
            continue
        if len(text) > 40 or _TOP.match(text):
            break
        if found := _STATUS.match(text):
            status = found["status"]
        else:
            title += text
    period = _PERIOD.search(title)
    return title, status, (int(period["start"]), int(period["end"])) if period else None


def draft_plan(lines: list[str], region_name: str | None = None) -> Draft:
    """The draft of one document, given as its paragraphs (``document_lines``)."""
    reader = _Reader(region_name)
    for number, text in enumerate(lines, start=1):
        reader.paragraph(number, _ARTEFACT.sub("", text))
    reader.unowned_to_office()
    title, status, period = title_lines(lines)
    return Draft(title=title, status=status, period=period, organisations=reader.orgs.organisations(),
                 sections=reader.sections, targets=reader.targets, campaigns=list(reader.campaigns.values()))
