"""gRPC servicers of kepu.v1: each method turns the request into one service call and the
answer back into proto; ``grpc_endpoint`` does authentication, roles, metrics and errors."""
from __future__ import annotations

import queue

import grpc

from libs.common.access import Caller
from libs.common.api.kepu.v1 import activity_service_pb2 as act
from libs.common.api.kepu.v1 import activity_service_pb2_grpc as act_grpc
from libs.common.api.kepu.v1 import alert_service_pb2 as alr
from libs.common.api.kepu.v1 import alert_service_pb2_grpc as alr_grpc
from libs.common.api.kepu.v1 import indicator_service_pb2 as ind
from libs.common.api.kepu.v1 import indicator_service_pb2_grpc as ind_grpc
from libs.common.api.kepu.v1 import organisation_service_pb2 as org
from libs.common.api.kepu.v1 import organisation_service_pb2_grpc as org_grpc
from libs.common.api.kepu.v1 import plan_service_pb2_grpc as plan_grpc
from libs.common.target_groups import TARGET_GROUP_NAMES
from services.gateway import access, mapping
from services.gateway.backend import Backend
from services.gateway.endpoint import deadline, grpc_endpoint
from services.gateway.errors import abort_invalid
from services.gateway.paging import page
from services.gateway.watch import StatusChangeHub, TooManyWatchers

OUTCOMES = {o: act.RowResult.Outcome.Value(o.upper()) for o in ("created", "unchanged", "corrected", "invalid",
                                                               "conflict")}


class ActivityServicer(act_grpc.ActivityServiceServicer):
    def __init__(self, backend: Backend):
        self.backend = backend

    def _activities(self):
        return self.backend.rpc().activities

    @grpc_endpoint(write=True)
    def ReportActivity(self, request, context, caller):  # noqa: N802 - gRPC naming
        result = self.backend.report_activity(caller, mapping.report_of(request),
                                              deadline(context, self.backend.timeout))
        return act.ReportActivityResponse(activity=mapping.activity_pb(result), created=result["created"])

    @grpc_endpoint(write=True)
    def ReportActivities(self, request, context, caller):  # noqa: N802
        result = self._activities().record_activities(
            caller.model_dump(), [mapping.report_of(row) for row in request.rows],
            skip_invalid=request.mode == act.ReportActivitiesRequest.SKIP_INVALID,
            validate_only=request.validate_only, correct_changed=request.correct_changed,
            deadline=deadline(context, self.backend.timeout))
        return act.ReportActivitiesResponse(
            results=[act.RowResult(index=r["index"], outcome=OUTCOMES[r["outcome"]],
                                   activity=mapping.activity_pb(r["activity"]) if r["activity"] else None,
                                   violations=mapping.violations_pb(r["violations"])) for r in result["results"]],
            created=result["created"], unchanged=result["unchanged"], corrected=result["corrected"],
            invalid=result["invalid"], conflicts=result["conflicts"], stored=result["stored"])

    @grpc_endpoint(write=True)
    def CorrectActivity(self, request, context, caller):  # noqa: N802
        result = self._activities().correct_activity(
            caller.model_dump(), request.activity_id, request.revision, mapping.report_of(request.content),
            request.reason, deadline=deadline(context, self.backend.timeout))
        return act.CorrectActivityResponse(activity=mapping.activity_pb(result))

    @grpc_endpoint(write=True)
    def RetractActivity(self, request, context, caller):  # noqa: N802
        result = self._activities().retract_activity(caller.model_dump(), request.activity_id, request.revision,
                                                     request.reason, deadline=deadline(context, self.backend.timeout))
        return act.RetractActivityResponse(activity=mapping.activity_pb(result))

    @grpc_endpoint()
    def GetActivity(self, request, context, caller):  # noqa: N802
        return mapping.activity_pb(self._activities().get_activity(caller.model_dump(), request.activity_id))

    @grpc_endpoint()
    def ListActivities(self, request, context, caller):  # noqa: N802
        filters = {name: getattr(request, name) for name in ("activity_type", "start_date_from", "start_date_to",
                                                             "town", "org", "include_retracted")}
        result = self._activities().list_activities(caller.model_dump(), filters, request.page_size,
                                                    request.page_token)
        return act.ListActivitiesResponse(activities=[mapping.activity_pb(a) for a in result["activities"]],
                                          next_page_token=result["next_page_token"])

    @grpc_endpoint()
    def GetActivityHistory(self, request, context, caller):  # noqa: N802
        entries = self._activities().activity_history(caller.model_dump(), request.activity_id)
        return act.GetActivityHistoryResponse(entries=[mapping.audit_pb(e) for e in entries])


class IndicatorServicer(ind_grpc.IndicatorServiceServicer):
    def __init__(self, backend: Backend, hub: StatusChangeHub):
        self.backend = backend
        self.hub = hub

    @grpc_endpoint()
    def GetProgress(self, request, context, caller):  # noqa: N802
        rows = self.backend.rpc().indicators.get_progress(request.indicator or None, request.scope or None)
        return ind.GetProgressResponse(windows=[
            mapping.window_pb(r) for r in rows if access.may_read_scope(caller, r["scope"], r["responsible"])])

    @grpc_endpoint()
    def ListProgress(self, request, context, caller):  # noqa: N802
        if request.year and not 1900 <= request.year <= 2200:
            abort_invalid(context, "year", "out_of_range",
                          f"{request.year} is not a calendar year (or 0 for the current one)")
        answer = self.backend.rpc().indicators.list_progress(request.year or None, request.indicator or None,
                                                             request.targets_only)
        visible = [p for p in (_visible_progress(caller, item) for item in answer["indicators"]) if p is not None]
        items, next_token = page(visible, request.page_size, request.page_token, maximum=500)
        return ind.ListProgressResponse(year=answer["year"], indicators=items, next_page_token=next_token)

    @grpc_endpoint()
    def WatchStatusChanges(self, request, context, caller):  # noqa: N802
        try:
            stream = self.hub.subscribe()
        except TooManyWatchers as exc:
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
        return self._follow(stream, request.indicator, context, caller)

    def _follow(self, stream: queue.Queue, indicator: str, context, caller):
        try:
            while context.is_active():
                try:
                    change = stream.get(timeout=1.0)
                except queue.Empty:
                    continue
                if (indicator and change["indicator"] != indicator) or not (
                        caller.is_admin or caller.org in change["responsible"]):
                    continue
                yield mapping.status_change_pb(change)
        finally:
            self.hub.unsubscribe(stream)


def _visible_progress(caller: Caller, item: dict) -> ind.IndicatorProgress | None:
    """An indicator window with only what the caller may read; None if that is nothing."""
    def readable(rows: list[dict]) -> list:
        return [mapping.window_pb(r) for r in rows if access.may_read_scope(caller, r["scope"], item["responsible"])]

    total = readable([item["total"]] if item["total"] else [])
    by_org, by_town = readable(item["by_org"]), readable(item["by_town"])
    if not (caller.is_admin or total or by_org or by_town or caller.org in item["responsible"]):
        return None
    return ind.IndicatorProgress(
        indicator=item["indicator"], name=item["name"], kind=item["kind"], window=item["window"], unit=item["unit"],
        target=item["target"] or 0.0, total=total[0] if total else None, by_org=by_org, by_town=by_town)


class OrganisationServicer(org_grpc.OrganisationServiceServicer):
    def __init__(self, backend: Backend):
        self.backend = backend

    @grpc_endpoint()
    def GetOrganisation(self, request, context, caller):  # noqa: N802
        found = self.backend.rpc().organisations.get_org(request.code)
        if found is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no organisation {request.code!r}")
        return mapping.org_pb(found)

    @grpc_endpoint()
    def ListOrganisations(self, request, context, caller):  # noqa: N802
        rpc = self.backend.rpc().organisations
        kind = request.kind or None
        orgs = rpc.list_orgs(kind) if caller.is_admin else rpc.list_orgs_under(caller.org, kind)
        items, next_token = page(orgs, request.page_size, request.page_token)
        return org.ListOrganisationsResponse(organisations=[mapping.org_pb(o) for o in items],
                                             next_page_token=next_token)


class AlertServicer(alr_grpc.AlertServiceServicer):
    def __init__(self, backend: Backend):
        self.backend = backend

    @grpc_endpoint()
    def ListAlerts(self, request, context, caller):  # noqa: N802
        if request.state not in ("", "firing", "resolved"):
            abort_invalid(context, "state", "unknown_state", f"{request.state!r}: firing, resolved, or empty for both")
        alerts = self.backend.rpc().notifications.list_alerts(request.state or None, request.indicator or None)
        mine = [a for a in alerts if access.may_read_alert(caller, a["recipients"])]
        items, next_token = page(mine, request.page_size, request.page_token)
        return alr.ListAlertsResponse(alerts=[mapping.alert_pb(a) for a in items], next_page_token=next_token)


class PlanServicer(plan_grpc.PlanServiceServicer):
    def __init__(self, backend: Backend):
        self.backend = backend

    @grpc_endpoint()
    def GetPlan(self, request, context, caller):  # noqa: N802
        return mapping.plan_of(self.backend.plan(), TARGET_GROUP_NAMES)
