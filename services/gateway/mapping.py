"""Proto messages <-> the services' dicts: one function per shape and direction."""
from __future__ import annotations

from libs.common.api.kepu.v1 import plan_service_pb2 as plan_pb
from libs.common.api.kepu.v1 import resources_pb2 as res
from libs.common.plan.schema import Quantity

REPORT_FIELDS = ("activity_type", "title", "external_id", "town", "target_group", "co_organisers", "start_date",
                 "end_date", "quantities")
OPTIONAL = frozenset({"external_id", "town", "target_group", "start_date", "end_date"})  # "" means not given


def report_of(msg) -> dict:
    """An ActivityReport or ReportActivityRequest (the same fields) as the activities service reads it."""
    out = {}
    for name in REPORT_FIELDS:
        value = getattr(msg, name)
        if name == "co_organisers":
            value = list(value)
        elif name == "quantities":
            value = dict(value)
        elif name in OPTIONAL:
            value = value or None
        out[name] = value
    return out


def _text(value) -> str:
    return "" if value is None else str(value)


def activity_pb(a: dict) -> res.Activity:
    return res.Activity(
        activity_id=a["activity_id"], org=a["org"], revision=a["revision"], activity_type=a["activity_type"],
        title=a["title"], external_id=_text(a["external_id"]), town=_text(a["town"]),
        target_group=_text(a["target_group"]), start_date=a["start_date"], end_date=a["end_date"],
        quantities=a["quantities"], co_organisers=a.get("co_organisers") or [], retracted=a.get("retracted", False),
        retract_reason=_text(a.get("retract_reason")), created_at=_text(a.get("created_at")),
        updated_at=_text(a.get("updated_at")),
    )


def violations_pb(pairs) -> list[res.FieldViolation]:
    return [res.FieldViolation(field=f, description=d) for f, d in pairs]


def audit_pb(e: dict) -> res.AuditEntry:
    return res.AuditEntry(revision=e["revision"], action=e["action"], at=_text(e["at"]), by_org=e["by_org"],
                          by_role=_text(e["by_role"]), by_token_id=e["by_token_id"] or 0, reason=_text(e["reason"]),
                          activity=activity_pb(e["activity"]))


def window_pb(r: dict) -> res.WindowProgress:
    return res.WindowProgress(
        indicator=r["indicator"], name=r["name"], kind=r["kind"], window=r["window"], scope=r["scope"],
        actual=r["actual"], expected=r["expected"] or 0.0, target=r["target"] or 0.0, unit=r["unit"],
        status=_text(r["status"]), as_of=_text(r["as_of"]),
    )


def status_change_pb(c: dict) -> res.StatusChange:
    return res.StatusChange(
        indicator=c["indicator"], indicator_name=c["indicator_name"], window=c["window"], scope=c["scope"],
        previous=_text(c["previous"]), status=c["status"], actual=c["actual"], expected=c["expected"],
        target=c["target"], unit=c["unit"], as_of=_text(c["as_of"]), responsible=c["responsible"],
    )


def org_pb(o: dict) -> res.Organisation:
    return res.Organisation(code=o["code"], name=o["name"], kind=o["kind"], parent=_text(o.get("parent")),
                            from_plan=bool(o.get("from_plan")), is_example=bool(o.get("is_example")))


def alert_pb(a: dict) -> res.Alert:
    return res.Alert(
        id=a["id"], indicator=a["indicator"], indicator_name=a["indicator_name"], window=a["window"],
        scope=a["scope"], state=a["state"], status=a["status"], actual=a["actual"], expected=a["expected"],
        target=a["target"], unit=a["unit"], as_of=_text(a["as_of"]), recipients=a["recipients"],
        opened_at=_text(a["opened_at"]), resolved_at=_text(a["resolved_at"]), times_opened=a["times_opened"],
        severity=a.get("severity", ""), historical=bool(a.get("historical")),
        silenced_until=_text(a.get("silenced_until")),
    )


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
                                        parent=_text(o.get("parent")) or region, from_plan=True)
                       for o in doc["organisations"]],
    )
