"""Proto messages <-> the services' dicts: fields by name (the contract's for a report, the proto
message's for an answer), so no field list is written here."""
from __future__ import annotations

from libs.common.api.kepu.v1 import plan_service_pb2 as plan_pb
from libs.common.api.kepu.v1 import reporting_service_pb2 as rep
from libs.common.api.kepu.v1 import resources_pb2 as res
from libs.common.api.kepu.v1 import session_service_pb2 as ses
from libs.common.contracts.activity import REPORT_FIELDS
from libs.common.plan.schema import Quantity


def report_of(msg) -> dict:
    """An ActivityReport or ReportActivityRequest (the same fields) as the activities service reads
    it: the contract's fields by name, an empty value left out (proto3 cannot tell "" from unset,
    so the contract's default applies, or "missing" where the field is required)."""
    out = {}
    for name in REPORT_FIELDS:
        value = getattr(msg, name)
        if isinstance(value, str):
            if value:
                out[name] = value
        elif hasattr(value, "items"):
            out[name] = dict(value)
        else:
            out[name] = list(value)
    return out


def _message(cls, data: dict, **nested):
    """A proto message from a service's dict by field name: None (not set) stays the proto default."""
    fields = {f.name: data.get(f.name) for f in cls.DESCRIPTOR.fields if f.name not in nested}
    return cls(**{k: v for k, v in fields.items() if v is not None}, **nested)


def activity_pb(a: dict) -> res.Activity:
    return _message(res.Activity, a)


def violations_pb(violations) -> list[res.FieldViolation]:
    """Violations as the activities service sends them (lists once they crossed the bus)."""
    return [res.FieldViolation(field=field, reason=code, description=message) for field, code, message in violations]


def audit_pb(e: dict) -> res.AuditEntry:
    return _message(res.AuditEntry, e, activity=activity_pb(e["activity"]))


def window_pb(r: dict) -> res.WindowProgress:
    return _message(res.WindowProgress, r)


def status_change_pb(c: dict) -> res.StatusChange:
    return _message(res.StatusChange, c)


def org_pb(o: dict) -> res.Organisation:
    return _message(res.Organisation, o)


def period_pb(p: dict) -> rep.ReportingPeriod:
    return _message(rep.ReportingPeriod, p)


def identity_pb(i: dict) -> ses.Identity:
    return _message(ses.Identity, i)


def alert_pb(a: dict) -> res.Alert:
    return _message(res.Alert, a)


def _text(value) -> str:
    return "" if value is None else str(value)


def quantity_pb(q: dict) -> plan_pb.Quantity:
    """A plan quantity with its bounds made explicit (the defaults the plan left out filled in)."""
    bounds = Quantity.model_validate(q)
    return plan_pb.Quantity(code=bounds.code, name=bounds.name, unit=bounds.unit, whole=bounds.is_whole,
                            max=bounds.most)


def plan_of(doc: dict, target_groups: dict[str, str]) -> plan_pb.Plan:
    """The plan document of a service (``plan_document``) as the GetPlan answer."""
    meta = doc["plan"]
    region = meta["region"]["code"]
    return plan_pb.Plan(
        code=meta["code"], title=meta["title"], region_code=region, region_name=meta["region"]["name"],
        period_start=meta["period"]["start"], period_end=meta["period"]["end"],
        quantities=[quantity_pb(q) for q in doc["quantities"]],
        activity_types=[plan_pb.ActivityType(code=t["code"], name=t["name"], category=t["category"],
                                             quantities=t["quantities"], description=_text(t.get("description")))
                        for t in doc["activity_types"]],
        sections=[plan_pb.Section(
            code=s["code"], group=s["group"], title=s["title"], task=_text(s.get("task")), lead_units=s["lead_units"],
            measures=[plan_pb.Measure(code=m["code"], title=m["title"], text=m["text"], responsible=m["responsible"])
                      for m in s["measures"]]) for s in doc["sections"]],
        indicators=[plan_pb.Indicator(
            code=i["code"], name=i["name"], kind=i["kind"], target=i["target"] or 0.0, comparison=i["comparison"],
            unit=i["unit"], feeds=[plan_pb.Feed(**f) for f in i["feeds"]], responsible=i["responsible"],
            section=_text(i.get("section")), source_text=_text(i.get("source_text")), tracking=i["tracking"],
        ) for i in doc["indicators"]],
        target_groups=[plan_pb.TargetGroup(code=c, name=n) for c, n in target_groups.items()],
        organisations=[res.Organisation(code=o["code"], name=o["name"], kind=o["kind"],
                                        parent=_text(o.get("parent")) or region, from_plan=True, region=region)
                       for o in doc["organisations"]],
        region_level=meta["region"]["level"], parent_region=_text(meta["region"].get("parent")),
        status=_text(meta.get("status")),
        children=[plan_pb.RegionRef(**child) for child in doc.get("children", [])],
        succession=[plan_pb.PlanRef(code=p["code"], title=p["title"], period_start=p["start"], period_end=p["end"])
                    for p in doc.get("succession", [])],
    )
