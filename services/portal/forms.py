"""The activity form (pure: no web, no gateway): what it shows for a chosen activity type, the
report a posted form makes, and where each problem the gateway names goes on the form.

The form is built from the plan (``GetPlan``): only the chosen type's quantities, each with its
unit and the most one activity may carry. The browser's own validation is off (``novalidate``):
its bubbles speak the browser's language, and the gateway's rules are the ones that hold, so
every problem comes back from there and is shown in Chinese beside its field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from libs.common.wording import number

# the form's inputs, by report field (quantities are "q.CODE")
TEXT_FIELDS = ("activity_type", "title", "start_date", "end_date", "town", "target_group")
_NUMBER = re.compile(r"^[+]?\d+(?:\.\d+)?$")
_FIELD = re.compile(r"^(?:content\.)?(quantities\.[^.]+|co_organisers|[a-z_]+)")


@dataclass(frozen=True)
class QuantityInput:
    code: str
    name: str
    unit: str
    whole: bool
    max: float

    @property
    def input_name(self) -> str:
        return f"q.{self.code}"

    @property
    def label(self) -> str:
        """"人数（人）"; a quantity named by its unit (场次) is not said twice."""
        return self.name if self.name == self.unit else f"{self.name}（{self.unit}）"

    @property
    def hint(self) -> str:
        kind = "整数" if self.whole else "可带小数"
        return f"单位：{self.unit}；{kind}，每次最多{number(self.max)}" if self.max else f"单位：{self.unit}；{kind}"


@dataclass
class ActivityForm:
    """What the form template needs: choices, the typed values, and the problems by field."""

    types: list[tuple[str, str]]
    towns: list[tuple[str, str]]
    target_groups: list[tuple[str, str]]
    organisers: list[tuple[str, str]]
    chosen: str = ""
    chosen_name: str = ""
    quantities: list[QuantityInput] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    co_organisers: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def error(self, name: str) -> str:
        return self.errors.get(name, "")


def activity_form(plan, towns, organisations, chosen: str, own_org: str, town_only: str = "") -> ActivityForm:
    """The form for ``chosen`` (a type code; empty: the type is still to be chosen). A town's
    person reports only their own town (``town_only``)."""
    types = {t.code: t for t in plan.activity_types}
    quantities = {q.code: q for q in plan.quantities}
    atype = types.get(chosen)
    towns_shown = [(o.code, o.name) for o in towns if not town_only or o.code == town_only]
    organisers = [(o.code, o.name) for o in organisations
                  if o.code != own_org and o.kind in ("department", "body", "office")]
    return ActivityForm(
        types=[(t.code, t.name) for t in plan.activity_types],
        towns=towns_shown,
        target_groups=[(g.code, g.name) for g in plan.target_groups],
        organisers=organisers,
        chosen=atype.code if atype else "",
        chosen_name=atype.name if atype else "",
        quantities=[QuantityInput(c, quantities[c].name, quantities[c].unit, quantities[c].whole, quantities[c].max)
                    for c in (atype.quantities if atype else ()) if c in quantities],
    )


def fill(form: ActivityForm, posted) -> ActivityForm:
    """Keep what the person typed (a form shown again with its problems loses nothing)."""
    form.values = {name: str(posted.get(name, "")).strip() for name in TEXT_FIELDS}
    form.values.update({q.input_name: str(posted.get(q.input_name, "")).strip() for q in form.quantities})
    form.co_organisers = [str(c) for c in posted.getlist("co_organisers")]
    return form


def report_of(form: ActivityForm) -> tuple[dict, dict[str, str]]:
    """The report the filled form makes, and the problems the portal itself finds: a quantity
    that is not a number cannot even be sent (the API carries numbers)."""
    report = {name: form.values.get(name, "") for name in TEXT_FIELDS}
    report["co_organisers"] = list(form.co_organisers)
    quantities, problems = {}, {}
    for q in form.quantities:
        text = form.values.get(q.input_name, "").replace(",", "").replace("，", "")
        if not text:
            continue
        if not _NUMBER.match(text):
            problems[q.input_name] = f"请填写数字（{q.unit}），例如 120"
            continue
        quantities[q.code] = float(text)
    report["quantities"] = quantities
    return report, problems


def place(violations: list[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """The gateway's problems by form input ("quantities.sessions" → "q.sessions",
    "co_organisers.2" → "co_organisers"); those of no input are shown above the form."""
    by_input: dict[str, str] = {}
    general: list[str] = []
    for path, message in violations:
        match = _FIELD.match(path)
        name = match.group(1) if match else ""
        if name.startswith("quantities."):
            name = "q." + name.removeprefix("quantities.")
        if name in TEXT_FIELDS or name.startswith("q.") or name in ("co_organisers", "quantities", "reason"):
            by_input[name] = f"{by_input[name]}；{message}" if name in by_input else message
        else:
            general.append(message)
    return by_input, general


def values_of(activity) -> dict[str, str]:
    """A stored activity (proto) as the form's values, for a correction."""
    values = {name: str(getattr(activity, name)) for name in TEXT_FIELDS}
    # as reported, every decimal kept: saving the correction must not round 12.34% to 12.3%
    values.update({f"q.{code}": number(amount, 6) for code, amount in activity.quantities.items()})
    return values
