"""Load and check a plan file, reporting every error with its file, path and line.

Schema errors come from pydantic; cross-references (an indicator naming an undeclared
activity type, a unit that does not match its quantity, a window outside the period) are
checked here, because they span several parts of the file.

A plan file is input too, and a hostile or broken one must not take the machine down: it is
read only up to ``MAX_BYTES``, must be UTF-8, and its YAML events are scanned before anything
is built from them: nesting deeper than ``MAX_DEPTH``, an alias used inside its own anchor, or
aliases expanding the document beyond ``MAX_VALUES`` values (a "billion laughs" bomb) are
refused with their line, as every other problem is.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import ValidationError

from libs.common.plan.schema import (
    EVENTS,
    EVENTS_UNIT,
    TRACKING_PREFIX,
    ActivityType,
    Indicator,
    Organisation,
    OrgKind,
    Plan,
    PlanMeta,
    Quantity,
    Reporting,
    Section,
)

MAX_BYTES = 2 * 1024 * 1024  # the 2021-2025 plan of a county is ~50 KB
MAX_DEPTH = 32
MAX_VALUES = 200_000


@dataclass(frozen=True)
class Problem:
    path: str  # e.g. indicators[3].target
    message: str
    line: int | None = None

    def render(self, file: str) -> str:
        where = f"{file}:{self.line}" if self.line else file
        return f"{where}: {self.path or '<root>'}: {self.message}"


class PlanError(ValueError):
    """Raised with every problem found; ``str()`` lists one per line."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = problems
        super().__init__("\n".join(p.render(file) for p in problems))


def _render_path(parts: tuple) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_index(text: str) -> tuple[dict[tuple, int], list[tuple[tuple, int]]]:
    """Map each YAML path (tuple of keys/indices) to its 1-based line number.

    Also returns the duplicate keys (path, line): PyYAML silently keeps the last value of a
    repeated key, which would hide a typo such as two ``target:`` lines in one indicator.
    """
    index: dict[tuple, int] = {}
    duplicates: list[tuple[tuple, int]] = []

    walked: set[int] = set()

    def walk(node: yaml.Node, path: tuple) -> None:
        index[path] = node.start_mark.line + 1
        if id(node) in walked:  # a node an alias shares is walked once (lines of its first place)
            return
        walked.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: set = set()
            for key, value in node.value:
                if key.value in seen:
                    duplicates.append(((*path, key.value), key.start_mark.line + 1))
                seen.add(key.value)
                walk(value, (*path, key.value))
                index[(*path, key.value)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, ())
    return index, duplicates


def _line_for(index: dict[tuple, int], parts: tuple) -> int | None:
    while parts:
        if parts in index:
            return index[parts]
        parts = parts[:-1]
    return index.get(())


@dataclass
class _View:
    """The parts of a plan that validated, at their original positions (None where one did not),
    plus every code the raw file declares: cross-references are checked even when some items
    fail the schema, without reporting references to those items as undeclared."""

    meta: PlanMeta | None
    organisations: list
    quantities: list
    activity_types: list
    sections: list
    indicators: list
    reporting: Reporting | None
    weighted: list[str]  # the indicator codes ``assessment.weights`` names, whether or not their weights validated
    declared: dict[str, set[str]]


def _present(items: list) -> list[tuple[int, Any]]:
    return [(i, x) for i, x in enumerate(items) if x is not None]


def _raw_codes(items: Any) -> set[str]:
    return {str(x["code"]) for x in items or [] if isinstance(x, dict) and "code" in x} if isinstance(items, list) \
        else set()


def _view(data: dict, plan: Plan | None) -> _View:
    if plan is not None:
        return _View(plan.meta, plan.organisations, plan.quantities, plan.activity_types, plan.sections,
                     plan.indicators, plan.reporting, list(plan.assessment.weights), {})

    def each(key: str, model: type) -> list:
        out = []
        for item in data.get(key) if isinstance(data.get(key), list) else []:
            try:
                out.append(model.model_validate(item))
            except (ValidationError, TypeError):
                out.append(None)
        return out

    try:
        meta = PlanMeta.model_validate(data.get("plan"))
    except (ValidationError, TypeError):
        meta = None
    try:
        reporting = Reporting.model_validate(data["reporting"]) if "reporting" in data else Reporting()
    except (ValidationError, TypeError):
        reporting = None
    assessment = data.get("assessment")
    weights = assessment.get("weights") if isinstance(assessment, dict) else None
    weighted = [code for code in weights if isinstance(code, str)] if isinstance(weights, dict) else []
    raw_sections = data.get("sections") if isinstance(data.get("sections"), list) else []
    declared = {
        "organisations": _raw_codes(data.get("organisations")),
        "quantities": _raw_codes(data.get("quantities")),
        "activity_types": _raw_codes(data.get("activity_types")),
        "sections": _raw_codes(raw_sections),
        "measures": set().union(*[_raw_codes(s.get("measures")) for s in raw_sections if isinstance(s, dict)]),
        "indicators": _raw_codes(data.get("indicators")),
    }
    return _View(meta, each("organisations", Organisation), each("quantities", Quantity),
                 each("activity_types", ActivityType), each("sections", Section), each("indicators", Indicator),
                 reporting, weighted, declared)


def _cross_references(plan: _View) -> list[tuple[tuple, str]]:
    errors: list[tuple[tuple, str]] = []
    declared = plan.declared
    orgs = {o.code for _, o in _present(plan.organisations)} | declared.get("organisations", set())
    quantities = ({code: None for code in declared.get("quantities", set())}
                  | {q.code: q for _, q in _present(plan.quantities)} | {EVENTS: None})
    types = {t.code: t for _, t in _present(plan.activity_types)}
    known_types = set(types) | declared.get("activity_types", set())
    sections = {s.code: s for _, s in _present(plan.sections)}
    known_sections = set(sections) | declared.get("sections", set())
    measures = {m.code for s in sections.values() for m in s.measures} | declared.get("measures", set())

    def unique(kind: str, items: list) -> None:
        seen: set[str] = set()
        for i, item in _present(items):
            if item.code in seen:
                errors.append(((kind, i, "code"), f"duplicate code {item.code!r}"))
            seen.add(item.code)

    unique("organisations", plan.organisations)
    unique("quantities", plan.quantities)
    unique("activity_types", plan.activity_types)
    unique("sections", plan.sections)
    unique("indicators", plan.indicators)
    measure_seen: set[str] = set()
    for i, s in _present(plan.sections):
        for j, m in enumerate(s.measures):
            if m.code in measure_seen:
                errors.append((("sections", i, "measures", j, "code"), f"duplicate measure code {m.code!r}"))
            measure_seen.add(m.code)

    for i, org in _present(plan.organisations):
        if org.parent and org.parent not in orgs:
            errors.append((("organisations", i, "parent"), f"organisation {org.parent!r} is not declared"))
    for i, t in _present(plan.activity_types):
        for j, q in enumerate(t.quantities):
            if q not in quantities:
                errors.append((("activity_types", i, "quantities", j), f"quantity {q!r} is not declared"))
        for j, q in enumerate(t.track):
            if q != EVENTS and q not in t.quantities:
                errors.append((("activity_types", i, "track", j),
                               f"tracks {q!r}, which activity type {t.code!r} does not carry"))
    for i, s in _present(plan.sections):
        for j, code in enumerate(s.lead_units):
            if code not in orgs:
                errors.append((("sections", i, "lead_units", j), f"organisation {code!r} is not declared"))
        for j, m in enumerate(s.measures):
            for k, code in enumerate(m.responsible):
                if code not in orgs:
                    errors.append((("sections", i, "measures", j, "responsible", k),
                                   f"organisation {code!r} is not declared"))
    kinds = {o.code: o.kind for _, o in _present(plan.organisations)}
    errors += _reporting_problems(plan.reporting, orgs, kinds)
    errors += _season_problems(plan, orgs, kinds)
    errors += _weight_problems(plan)
    period = plan.meta.period if plan.meta is not None else None
    for i, ind in _present(plan.indicators):
        at = ("indicators", i)
        if ind.code.startswith(TRACKING_PREFIX):
            errors.append(((*at, "code"),
                           f"codes starting with {TRACKING_PREFIX!r} are reserved for tracking indicators"))
        for j, code in enumerate(ind.responsible):
            if code not in orgs:
                errors.append(((*at, "responsible", j), f"organisation {code!r} is not declared"))
        if ind.section and ind.section not in known_sections:
            errors.append(((*at, "section"), f"section {ind.section!r} is not declared"))
        if ind.measure and ind.measure not in measures:
            errors.append(((*at, "measure"), f"measure {ind.measure!r} is not declared"))
        elif ind.measure and ind.section in sections and ind.measure not in {
                m.code for m in sections[ind.section].measures}:
            errors.append(((*at, "measure"), f"measure {ind.measure!r} is not in section {ind.section!r}"))
        for j, feed in enumerate(ind.feeds):
            t = types.get(feed.activity_type)
            if t is None:
                if feed.activity_type not in known_types:
                    errors.append(((*at, "feeds", j, "activity_type"),
                                   f"activity type {feed.activity_type!r} is not declared"))
                continue
            if feed.quantity != EVENTS and feed.quantity not in t.quantities:
                errors.append(((*at, "feeds", j, "quantity"),
                               f"activity type {t.code!r} does not carry quantity {feed.quantity!r}"))
            q = quantities.get(feed.quantity)
            if q is not None and q.unit != ind.unit:
                errors.append(((*at, "unit"),
                               f"unit {ind.unit!r} does not match quantity {q.code!r} ({q.unit!r})"))
            elif feed.quantity == EVENTS and ind.unit != EVENTS_UNIT:
                errors.append(((*at, "unit"),
                               f"unit {ind.unit!r} does not match quantity 'events' ({EVENTS_UNIT!r})"))
        for key in ("first_year", "last_year"):
            year = getattr(ind, key)
            if year is not None and period is not None and not period.start <= year <= period.end:
                errors.append(((*at, key), f"year {year} is outside the plan period {period.start}-{period.end}"))
        if ind.first_year is not None and ind.last_year is not None and ind.first_year > ind.last_year:
            errors.append(((*at, "last_year"), f"last year {ind.last_year} is before first year {ind.first_year}"))
        if ind.pace.due and ind.kind in ("yearly", "quarterly"):
            errors.append(((*at, "pace", "due"), f"a due date applies to cumulative and stock indicators; "
                           f"for a {ind.kind} one, give monthly_weights instead"))
        if ind.stock_aggregation != "latest" and ind.kind != "stock":
            errors.append(((*at, "stock_aggregation"), "only stock indicators aggregate observations"))
        if ind.pace.due and period is not None and not period.first_day <= ind.pace.due <= period.last_day:
            errors.append(((*at, "pace", "due"), f"due date {ind.pace.due} is outside the plan period"))
        if ind.pace.baseline is not None and ind.kind != "stock":
            errors.append(((*at, "pace", "baseline"), "a baseline only applies to stock indicators"))
        if ind.target is None and ind.kind != "yearly":
            errors.append(((*at, "target"), "only yearly indicators may omit the target (tracking)"))
    return errors


def _reporting_problems(reporting: Reporting | None, orgs: set[str], kinds: dict[str, str]) -> list[tuple[tuple, str]]:
    """Each organisation and kind has at most one rule, and every rule names a real reporter."""
    if reporting is None:
        return []
    errors: list[tuple[tuple, str]] = []
    org_rule: dict[str, int] = {}
    kind_rule: dict[str, int] = {}
    for i, rule in enumerate(reporting.rules):
        at = ("reporting", "rules", i)
        for j, kind in enumerate(rule.kinds):
            if kind == "town_category":
                errors.append(((*at, "kinds", j), "town_category is the slot that towns are registered under, not a "
                               "reporter: write kinds: [town] to give every town this duty"))
            elif kind in kind_rule:
                errors.append(((*at, "kinds", j), f"kind {kind!r} already has a duty in reporting.rules"
                               f"[{kind_rule[kind]}]: name it in one rule only"))
            kind_rule.setdefault(kind, i)
        for j, code in enumerate(rule.orgs):
            if code not in orgs:
                errors.append(((*at, "orgs", j), f"organisation {code!r} is not declared: name a declared "
                               "organisation, or give towns (registered later) a duty with kinds: [town]"))
            elif kinds.get(code) == "town_category":
                errors.append(((*at, "orgs", j), f"{code!r} is the slot that towns are registered under, not a "
                               "reporter: write kinds: [town] to give every town this duty"))
            elif code in org_rule:
                errors.append(((*at, "orgs", j), f"organisation {code!r} already has a duty in reporting.rules"
                               f"[{org_rule[code]}]: name it in one rule only"))
            org_rule.setdefault(code, i)
    for j, code in enumerate(reporting.exempt):
        at = ("reporting", "exempt", j)
        if code not in orgs:
            errors.append((at, f"organisation {code!r} is not declared: name a declared organisation"))
        elif code in org_rule:
            errors.append((at, f"organisation {code!r} is exempt but reporting.rules[{org_rule[code]}] gives it a "
                           "duty: remove it from one of them"))
    return errors


def _weight_problems(plan: _View) -> list[tuple[tuple, str]]:
    """Each weight names a declared target (a tracking count has no target to assess)."""
    present = {ind.code: ind for _, ind in _present(plan.indicators)}
    declared = set(present) | plan.declared.get("indicators", set())
    errors: list[tuple[tuple, str]] = []
    for code in plan.weighted:
        at = ("assessment", "weights", code)
        if code.startswith(TRACKING_PREFIX) or (code in present and present[code].tracking):
            errors.append((at, f"{code!r} is a tracking indicator: it has no target, so the 考核 does not weigh it"))
        elif code not in declared:
            errors.append((at, f"indicator {code!r} is not declared: weigh a declared indicator by its code"))
    return errors


def _season_problems(plan: _View, orgs: set[str], kinds: dict[str, str]) -> list[tuple[tuple, str]]:
    """Who takes part in a season is known: written in ``expected_from`` or derived from indicators."""
    errors: list[tuple[tuple, str]] = []
    kind_names = [k for k in get_args(OrgKind) if k != "town_category"]
    responsible = {}  # activity type -> responsible units of the indicators it feeds
    every_indicator_read = None not in plan.indicators  # else the units may be in one that failed the schema
    for _, ind in _present(plan.indicators):
        for feed in ind.feeds:
            responsible.setdefault(feed.activity_type, set()).update(ind.responsible)
    for i, t in _present(plan.activity_types):
        at = ("activity_types", i)
        if t.expected_from and t.season is None:
            errors.append(((*at, "expected_from"), "expected_from says who takes part in a season: add "
                           "season: {from: MM-DD, to: MM-DD}, or remove expected_from"))
        if t.season is not None and not t.expected_from and not responsible.get(t.code) and every_indicator_read:
            errors.append(((*at, "season"), f"who is expected to take part in {t.code!r}'s season? No indicator it "
                           "feeds names responsible units: add expected_from: [organisation codes, or kinds such as "
                           "department or town]"))
        for j, entry in enumerate(t.expected_from):
            if entry in orgs and entry in kind_names:
                errors.append(((*at, "expected_from", j), f"{entry!r} is both an organisation code and a kind: "
                               "give the organisation another code"))
            elif entry == "town_category" or kinds.get(entry) == "town_category":
                errors.append(((*at, "expected_from", j), f"{entry!r} is the slot that towns are registered under: "
                               "write town to expect every town"))
            elif entry not in orgs and entry not in kind_names:
                errors.append(((*at, "expected_from", j), f"{entry!r} is neither a declared organisation nor a kind "
                               f"({', '.join(kind_names)}): write one of those"))
    return errors


def _shape_problems(text: str) -> list[Problem]:
    """Size, nesting and alias expansion, from the YAML events alone (nothing is built)."""
    if len(text) > MAX_BYTES:
        return [Problem("", f"the file is larger than {MAX_BYTES // 1024} KB; a plan is far smaller")]
    sizes: dict[str, int] = {}  # anchor -> values it stands for, once its node has ended
    open_anchors: list[str | None] = []
    counts: list[int] = [0]  # values inside each open collection, the document at the bottom
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in open_anchors:
                return [Problem("", f"alias *{event.anchor} is used inside its own anchor (a loop)", line)]
            counts[-1] += sizes.get(event.anchor, 1)
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if len(counts) > MAX_DEPTH:
                return [Problem("", f"nested deeper than {MAX_DEPTH} levels; a plan needs a few", line)]
            open_anchors.append(event.anchor)
            counts.append(1)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            anchor, size = open_anchors.pop(), counts.pop()
            if anchor:
                sizes[anchor] = size
            counts[-1] += size
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor:
                sizes[event.anchor] = 1
            counts[-1] += 1
        if counts[-1] > MAX_VALUES or sum(counts) > MAX_VALUES:
            return [Problem("", f"aliases expand the file beyond {MAX_VALUES} values; write the values out", line)]
    return []


def parse_plan(text: str, file: str = "<plan>") -> Plan:
    """Validate plan text; raise :class:`PlanError` listing every problem found."""
    try:
        if shape := _shape_problems(text):
            raise PlanError(file, shape)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        position = getattr(exc, "position", None)  # a character YAML does not allow (ReaderError)
        line = mark.line + 1 if mark else (text[:position].count("\n") + 1 if position is not None else None)
        why = str(getattr(exc, "problem", None) or exc).splitlines()[0]  # one line: file:line: message
        raise PlanError(file, [Problem("", f"malformed YAML: {why}", line)]) from None
    if not isinstance(data, dict):
        raise PlanError(file, [Problem("", "a plan file must be a mapping at the top level", 1)])
    index, duplicates = _line_index(text)
    problems = [Problem(_render_path(p), f"duplicate key {p[-1]!r}", line) for p, line in duplicates]
    plan: Plan | None = None
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        problems += [
            Problem(_render_path(tuple(e["loc"])), e["msg"], _line_for(index, tuple(e["loc"])))
            for e in exc.errors()
        ]
    # references are checked on whatever validated, so one run reports every problem
    problems += [Problem(_render_path(p), m, _line_for(index, p)) for p, m in _cross_references(_view(data, plan))]
    if problems:
        raise PlanError(file, problems) from None
    return plan


def load_plan(path: str | Path) -> Plan:
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise PlanError(str(path), [Problem("", f"cannot read the plan file: {exc.strerror}")]) from None
    if len(raw) > MAX_BYTES:
        raise PlanError(str(path), [Problem("", f"the file is larger than {MAX_BYTES // 1024} KB; a plan is far "
                                            "smaller")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise PlanError(str(path), [Problem("", f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as "
                                            "UTF-8", line)]) from None
    return parse_plan(text, str(path))
