"""Write a ``Draft`` as a plan YAML a person reviews: every item with its line, sentence and confidence.

Values are written as JSON (valid YAML, and quoting-safe for Chinese text); what the rules could not
know is a ``TODO`` comment next to the item, and the header lists what is left to fill in.
"""
from __future__ import annotations

import json
from collections.abc import Iterable

from libs.common.plan.draft import Draft, DraftTarget, prefixed

HEADER = """\
# DRAFT of a plan, written by `kepu plan draft` from {source} with rules and dictionaries (no model).
# Each item names the line of the document it came from, and a confidence (high / medium / low):
# review every item, the medium and low ones first, against the document.
# A person must still fill in or check:
#   - plan: code, region (code, level), period, parents (the city's and province's plans the document cites);
#   - organisations: a code for each one marked TODO (unknown to the dictionary), and every kind and parent;
#   - indicators: a code and a short name, `feeds` (the activity type and quantity that count toward each);
#     the kind (yearly / quarterly / cumulative / stock), comparison and responsible units of the medium
#     and low ones; targets the rules missed (a number written in words, a target spread over sentences);
#   - activity_types: those the indicators' feeds name; each campaign day's season and expected_from;
#   - reporting: who reports how often and by when (documents of this genre rarely say);
# then run `kepu plan validate` on this file.
"""

# the plan's unit → the quantity code an activity report carries (as in the seed plan)
QUANTITIES = {"场次": ("sessions", "场次"), "人次": ("participants", "人次"), "人": ("people", "人数"),
              "个": ("items", "个数"), "次": ("times", "次数"), "%": ("percent", "比例"), "期": ("issues", "期数"),
              "篇": ("articles", "篇数")}


def _v(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value, ensure_ascii=False)


def _flow(fields: dict[str, object]) -> str:
    return "{" + ", ".join(f"{key}: {_v(value)}" for key, value in fields.items() if value is not None) + "}"


def _plan_lines(draft: Draft, region_code: str, region_name: str | None, parent: str | None) -> Iterable[str]:
    start, end = draft.period or (None, None)
    yield "plan:"
    yield f"  code: {_v(f'{region_code}-{start or 0}-{end or 0}')}"
    yield f"  title: {_v(draft.title)}"
    if draft.status:
        yield f"  status: {_v(draft.status)}"
    region = {'code': region_code, 'name': region_name or region_code, 'level': 'county', 'parent': parent}
    yield f"  region: {_flow(region)}  # TODO: check code, name and level" + (
        f"; {parent}'s plan counts this county's activities (as its own plan says)" if parent else "")
    yield f"  period: {_flow({'start': start, 'end': end})}" + ("" if draft.period else "  # TODO: no period found")
    yield "  parents: []  # TODO: the plans this one implements (national, province, city)"


def _organisation_lines(draft: Draft, prefix: str) -> Iterable[str]:
    yield "organisations:"
    codes = {o.code for o in draft.organisations}
    gov = f"{prefix}county-gov"
    if gov not in codes:
        yield f"  - {_flow({'code': gov, 'name': '县人民政府', 'kind': 'government'})}" \
              "  # added: the parent of every unit below; TODO: check the name"
    for org in draft.organisations:
        fields = {"code": org.code, "name": org.name, "kind": org.kind or "body"}
        if org.code != gov:
            fields["parent"] = gov
        todo = "" if org.kind else "  # TODO: unknown to the dictionary: choose a code, check the kind"
        yield f"  - {_flow(fields)}  # line {org.line}{todo}"


def _quantity_lines(draft: Draft) -> Iterable[str]:
    units = dict.fromkeys(t.unit for t in draft.targets)
    if draft.campaigns:
        units.update(dict.fromkeys(("场次", "人次")))
    yield "quantities:"
    for unit in units:
        code, name = QUANTITIES.get(unit, (f"quantity-{unit}", unit))
        todo = "" if unit in QUANTITIES else "  # TODO: choose a code"
        yield f"  - {_flow({'code': code, 'name': name, 'unit': unit})}{todo}"


def _campaign_lines(draft: Draft) -> Iterable[str]:
    yield "activity_types:"
    yield "  # campaign days the document names; TODO: the types that feed the indicators below"
    if not draft.campaigns:
        yield "  []"
    for day in draft.campaigns:
        yield f"  - code: {_v(day.code)}  # line {day.source.line}, confidence {day.confidence}"
        yield f"    name: {_v(day.name)}"
        yield "    category: campaign"
        yield "    quantities: [sessions, participants]"
        yield "    track: [events, sessions, participants]"
        yield "    # TODO: season (national practice) and expected_from (units the sentence gives it to)"


def _section_lines(draft: Draft) -> Iterable[str]:
    yield "sections:"
    if not draft.sections:
        yield "  []  # TODO: no 提升行动 / 重点工程 / 保障措施 headings found"
    for section in draft.sections:
        yield f"  - code: {_v(section.code)}  # line {section.line}" + (
            "  # TODO: choose a code" if section.code.startswith("section-") else "")
        yield f"    group: {section.group}"
        yield f"    title: {_v(section.title)}"
        if section.task:
            yield f"    task: {_v(section.task)}"
        yield f"    lead_units: {_v(section.lead_units)}"
        yield "    measures:" + ("" if section.measures else " []")
        for measure in section.measures:
            yield f"      - code: {_v(measure.code)}  # line {measure.line}"
            yield f"        title: {_v(measure.title)}"
            yield f"        text: {_v(measure.text)}"
            yield f"        responsible: {_v(measure.responsible)}" + (
                "" if measure.responsible else "  # TODO: no unit named in the paragraph")


def _indicator_code(target: DraftTarget, taken: set[str]) -> str:
    stem = target.measure or target.section or "goal"
    number = 1
    while f"{stem}-t{number}" in taken:
        number += 1
    return f"{stem}-t{number}"


def _indicator_lines(draft: Draft) -> Iterable[str]:
    yield "indicators:"
    if not draft.targets:
        yield "  []  # TODO: no quantified target found"
    taken: set[str] = set()
    for target in draft.targets:
        code = _indicator_code(target, taken)
        taken.add(code)
        yield f"  # line {target.source.line}, confidence {target.confidence}: {'; '.join(target.notes)}"
        yield f"  - code: {_v(code)}  # TODO: a code that says what it counts"
        yield f"    name: {_v(target.name)}"
        yield f"    kind: {target.kind}"
        yield f"    target: {_v(target.value)}"
        yield f"    comparison: {target.comparison}"
        yield f"    unit: {_v(target.unit)}"
        yield "    feeds: []  # TODO: [{activity_type: …, quantity: …}]"
        yield f"    responsible: {_v(target.responsible)}" + (
            "" if target.responsible else "  # TODO: no unit named")
        if target.section:
            yield f"    section: {_v(target.section)}"
        if target.measure:
            yield f"    measure: {_v(target.measure)}"
        yield f"    source_text: {_v(target.source.text)}"


def draft_yaml(draft: Draft, source: str, region_code: str, region_name: str | None,
               parent: str | None = None) -> str:
    """The whole draft file, header first. Under a ``parent`` region (a county joining its city's
    system) every organisation code is prefixed with the region's code: codes are one namespace
    across the regions of a system."""
    prefix = f"{region_code}-" if parent else ""
    draft = prefixed(draft, prefix)
    parts = [HEADER.format(source=source).rstrip("\n"), *_plan_lines(draft, region_code, region_name, parent), "",
             *_organisation_lines(draft, prefix), "", *_quantity_lines(draft), "", *_campaign_lines(draft), "",
             *_section_lines(draft), "", *_indicator_lines(draft)]
    return "\n".join(parts) + "\n"
