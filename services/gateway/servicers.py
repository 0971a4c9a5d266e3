"""gRPC servicers of kepu.v1: each method turns the request into one service call and the
answer back into proto; ``grpc_endpoint`` does authentication, roles, metrics and errors, and
runs the method in the backend's threads (its lines may block on a service)."""
from __future__ import annotations

import asyncio
import datetime as dt
import secrets

from libs.common.access import Caller, token_hash
from libs.common.api.kepu.v1 import activity_service_pb2 as act
from libs.common.api.kepu.v1 import activity_service_pb2_grpc as act_grpc
from libs.common.api.kepu.v1 import alert_service_pb2 as alr
from libs.common.api.kepu.v1 import alert_service_pb2_grpc as alr_grpc
from libs.common.api.kepu.v1 import indicator_service_pb2 as ind
from libs.common.api.kepu.v1 import indicator_service_pb2_grpc as ind_grpc
from libs.common.api.kepu.v1 import organisation_service_pb2 as org
from libs.common.api.kepu.v1 import organisation_service_pb2_grpc as org_grpc
from libs.common.api.kepu.v1 import plan_service_pb2_grpc as plan_grpc
from libs.common.api.kepu.v1 import report_service_pb2 as doc
from libs.common.api.kepu.v1 import report_service_pb2_grpc as doc_grpc
from libs.common.api.kepu.v1 import reporting_service_pb2 as rep
from libs.common.api.kepu.v1 import reporting_service_pb2_grpc as rep_grpc
from libs.common.api.kepu.v1 import session_service_pb2 as ses
from libs.common.api.kepu.v1 import session_service_pb2_grpc as ses_grpc
from libs.common.errors import BadRequest, FailedPrecondition, NotFound, PermissionDenied, clip
from libs.common.target_groups import TARGET_GROUP_NAMES
from services.gateway import access, mapping, packs, shares
from services.gateway.backend import Backend
from services.gateway.endpoint import grpc_endpoint, grpc_stream_endpoint
from services.gateway.limits import peer_address
from services.gateway.paging import page
from services.gateway.watch import StatusChangeHub
from services.reports import documents
from services.reports.domain.pack import quarter_end

OUTCOMES = {o: act.RowResult.Outcome.Value(o.upper()) for o in ("created", "unchanged", "corrected", "invalid",
                                                               "conflict")}


class ActivityServicer(act_grpc.ActivityServiceServicer):
    def __init__(self, backend: Backend):
        self.backend = backend

    def _activities(self):
        return self.backend.rpc().activities

    @grpc_endpoint(write=True)
    def ReportActivity(self, request, call):  # noqa: N802 - gRPC naming
        result = self.backend.report_activity(call.caller, mapping.report_of(request), call.deadline)
        return act.ReportActivityResponse(activity=mapping.activity_pb(result), created=result["created"])

    @grpc_endpoint(write=True)
    def ReportActivities(self, request, call):  # noqa: N802
        result = self._activities().record_activities(
            call.caller.model_dump(), [mapping.report_of(row) for row in request.rows],
            skip_invalid=request.mode == act.ReportActivitiesRequest.SKIP_INVALID,
            validate_only=request.validate_only, correct_changed=request.correct_changed,
            deadline=call.deadline)
        return act.ReportActivitiesResponse(
            results=[act.RowResult(index=r["index"], outcome=OUTCOMES[r["outcome"]],
                                   activity=mapping.activity_pb(r["activity"]) if r["activity"] else None,
                                   violations=mapping.violations_pb(r["violations"])) for r in result["results"]],
            created=result["created"], unchanged=result["unchanged"], corrected=result["corrected"],
            invalid=result["invalid"], conflicts=result["conflicts"], stored=result["stored"])

    @grpc_endpoint(write=True)
    def CorrectActivity(self, request, call):  # noqa: N802
        result = self._activities().correct_activity(
            call.caller.model_dump(), request.activity_id, request.revision, mapping.report_of(request.content),
            request.reason, deadline=call.deadline)
        return act.CorrectActivityResponse(activity=mapping.activity_pb(result))

    @grpc_endpoint(write=True)
    def RetractActivity(self, request, call):  # noqa: N802
        result = self._activities().retract_activity(call.caller.model_dump(), request.activity_id, request.revision,
                                                     request.reason, deadline=call.deadline)
        return act.RetractActivityResponse(activity=mapping.activity_pb(result))

    @grpc_endpoint()
    def GetActivity(self, request, call):  # noqa: N802
        return mapping.activity_pb(self._activities().get_activity(call.caller.model_dump(), request.activity_id))

    @grpc_endpoint()
    def ListActivities(self, request, call):  # noqa: N802
        filters = {name: getattr(request, name) for name in ("activity_type", "start_date_from", "start_date_to",
                                                             "town", "org", "include_retracted")}
        result = self._activities().list_activities(call.caller.model_dump(), filters, request.page_size,
                                                    request.page_token)
        return act.ListActivitiesResponse(activities=[mapping.activity_pb(a) for a in result["activities"]],
                                          next_page_token=result["next_page_token"])

    @grpc_endpoint()
    def GetActivityHistory(self, request, call):  # noqa: N802
        entries = self._activities().activity_history(call.caller.model_dump(), request.activity_id)
        return act.GetActivityHistoryResponse(entries=[mapping.audit_pb(e) for e in entries])


class IndicatorServicer(ind_grpc.IndicatorServiceServicer):
    def __init__(self, backend: Backend, hub: StatusChangeHub):
        self.backend = backend
        self.hub = hub

    @grpc_endpoint()
    def GetProgress(self, request, call):  # noqa: N802
        rows = self.backend.rpc().indicators.get_progress(request.indicator or None, request.scope or None)
        caller = call.caller
        reach = self.backend.reach(caller) if caller.is_admin else None  # others: their own scopes already
        return ind.GetProgressResponse(windows=[
            mapping.window_pb(r) for r in rows if access.may_read_scope(caller, r["scope"], r["responsible"])
            and (reach is None or r.get("region") in reach)])

    @grpc_endpoint()
    def ListProgress(self, request, call):  # noqa: N802
        rpc, year = self.backend.rpc(), _calendar_year(request.year)
        region = access.region_to_read(call.caller, request.region, lambda: self.backend.reach(call.caller))
        plan = self.backend.plan(region, year)["plan"]
        # who has not reported, asked at once beside the figures: every window lies in the plan's period
        gaps = rpc.activities.reporting_gaps.call_async(plan["period"]["start"], plan["period"]["end"])
        answer = rpc.indicators.list_progress(year, request.indicator or None, request.targets_only,
                                              plan["region"]["code"])
        gaps = gaps.result()
        visible = [p for p in (_visible_progress(call.caller, shares.with_shares(item, gaps))
                               for item in answer["indicators"]) if p is not None]
        items, next_token = page(visible, request.page_size, request.page_token, maximum=500)
        return ind.ListProgressResponse(year=answer["year"], indicators=items, next_page_token=next_token,
                                        region=plan["region"]["code"], plan=plan["code"])

    @grpc_stream_endpoint
    async def WatchStatusChanges(self, request, caller):  # noqa: N802
        """A coroutine on the event loop, holding no thread: it waits on its own queue."""
        stream = await self.hub.subscribe()
        reach = await asyncio.get_running_loop().run_in_executor(None, self.backend.reach, caller) \
            if caller.is_admin else None
        try:
            while True:
                change = await stream.get()
                readable = (reach is None or change.get("region") in reach) if caller.is_admin \
                    else caller.org in change["responsible"]
                if (request.indicator and change["indicator"] != request.indicator) or not readable:
                    continue
                yield mapping.status_change_pb(change)
        finally:
            self.hub.unsubscribe(stream)


def _calendar_year(year: int) -> int | None:
    """A request's year: None for 0 (the current one, by the services' clock), else checked."""
    if year and not 1900 <= year <= 2200:
        raise BadRequest.of("year", "out_of_range", f"{year} is not a calendar year (or 0 for the current one)")
    return year or None


def _visible_progress(caller: Caller, item: dict) -> ind.IndicatorProgress | None:
    """An indicator window with only what the caller may read; None if that is nothing."""
    def readable(rows: list[dict]) -> list:
        return [mapping.window_pb(r) for r in rows if access.may_read_scope(caller, r["scope"], item["responsible"])]

    total = readable([item["total"]] if item["total"] else [])
    by_org, by_town = readable(item["by_org"]), readable(item["by_town"])
    if not (caller.is_admin or total or by_org or by_town or caller.org in item["responsible"]):
        return None
    by_region = [mapping.window_pb(r) for r in item.get("by_region", [])] if caller.is_admin else []
    return ind.IndicatorProgress(
        indicator=item["indicator"], name=item["name"], kind=item["kind"], window=item["window"], unit=item["unit"],
        target=item["target"] or 0.0, total=total[0] if total else None, by_org=by_org, by_town=by_town,
        by_region=by_region)


class OrganisationServicer(org_grpc.OrganisationServiceServicer):
    def __init__(self, backend: Backend):
        self.backend = backend

    @grpc_endpoint()
    def GetOrganisation(self, request, call):  # noqa: N802
        """In the scope ``ListOrganisations`` lists: an admin reads any organisation, any other
        token its own and those under it; one outside is as unknown as one that does not exist."""
        rpc = self.backend.rpc().organisations
        if call.caller.is_admin and call.caller.region is None:
            found = rpc.get_org(request.code)
        else:
            found = next((o for o in rpc.list_orgs_under(_top(call.caller)) if o["code"] == request.code), None)
        if found is None:
            raise NotFound(f"code: no organisation {clip(request.code)!r} that your token may read")
        return mapping.org_pb(found)

    @grpc_endpoint()
    def ListOrganisations(self, request, call):  # noqa: N802
        rpc = self.backend.rpc().organisations
        kind = request.kind or None
        orgs = rpc.list_orgs(kind) if call.caller.is_admin and call.caller.region is None \
            else rpc.list_orgs_under(_top(call.caller), kind)
        items, next_token = page(orgs, request.page_size, request.page_token)
        return org.ListOrganisationsResponse(organisations=[mapping.org_pb(o) for o in items],
                                             next_page_token=next_token)


def _top(caller: Caller) -> str:
    """Where a caller's organisation list starts: an office's region, anyone else's own organisation."""
    return caller.region if caller.is_admin and caller.region else caller.org


class AlertServicer(alr_grpc.AlertServiceServicer):
    def __init__(self, backend: Backend):
        self.backend = backend

    @grpc_endpoint()
    def ListAlerts(self, request, call):  # noqa: N802
        if request.state not in ("", "firing", "resolved"):
            raise BadRequest.of("state", "unknown_state",
                                f"{clip(request.state)!r}: firing, resolved, or empty for both")
        alerts = self.backend.rpc().notifications.list_alerts(request.state or None, request.indicator or None)
        reach = self.backend.reach(call.caller) if call.caller.is_admin else None
        mine = [a for a in alerts if access.may_read_alert(call.caller, a["recipients"], reach)]
        items, next_token = page(mine, request.page_size, request.page_token)
        return alr.ListAlertsResponse(alerts=[mapping.alert_pb(a) for a in items], next_page_token=next_token)


PERIOD_STATES = ("open", "due", "on_time", "late", "missing")


class ReportingServicer(rep_grpc.ReportingServiceServicer):
    """Reporting as a duty: the activities service owns the periods (and refuses writes into an
    approved one); who may submit, approve or read whose is decided there, with the caller."""

    def __init__(self, backend: Backend):
        self.backend = backend

    def _activities(self):
        return self.backend.rpc().activities

    @grpc_endpoint(write=True)
    def SubmitPeriod(self, request, call):  # noqa: N802
        return mapping.period_pb(self._activities().submit_period(call.caller.model_dump(), _period_key(request),
                                                                  nil=request.nil))

    @grpc_endpoint()
    def ListReportingStatus(self, request, call):  # noqa: N802
        if request.state and request.state not in PERIOD_STATES:
            raise BadRequest.of("state", "unknown_state",
                                f"{clip(request.state)!r}: one of {', '.join(PERIOD_STATES)}, or empty for all")
        found = self._activities().reporting_status(call.caller.model_dump(), _calendar_year(request.year),
                                                    request.org or None)
        wanted = [p for p in found["periods"] if not request.state or p["state"] == request.state]
        items, next_token = page(wanted, request.page_size, request.page_token)
        return rep.ListReportingStatusResponse(year=found["year"], periods=[mapping.period_pb(p) for p in items],
                                               next_page_token=next_token)

    @grpc_endpoint(write=True)
    def ApprovePeriod(self, request, call):  # noqa: N802
        return mapping.period_pb(self._activities().approve_period(call.caller.model_dump(), _org_code(request),
                                                                   _period_key(request)))

    @grpc_endpoint(write=True)
    def ReopenPeriod(self, request, call):  # noqa: N802
        if not request.reason.strip():
            raise BadRequest.of("reason", "missing", "重新打开需要填写原因（写入审计记录）")
        if len(request.reason) > 500:
            raise BadRequest.of("reason", "too_long", "原因最多500字")
        return mapping.period_pb(self._activities().reopen_period(call.caller.model_dump(), _org_code(request),
                                                                  _period_key(request), request.reason))


def _period_key(request) -> str:
    if not request.period.strip():
        raise BadRequest.of("period", "missing", "请填写报送期，例如 2025Q3（季度）、2025-03（月）")
    return clip(request.period.strip(), 16)


def _org_code(request) -> str:
    if not request.org.strip():
        raise BadRequest.of("org", "missing", "请填写单位代码（kepu org list）")
    return clip(request.org.strip(), 64)


class ReportServicer(doc_grpc.ReportServiceServicer):
    """The office's documents, gathered and laid out as ``packs`` says (the courier delivers the
    same pack unasked before each quarter's meeting)."""

    def __init__(self, backend: Backend):
        self.backend = backend

    @grpc_endpoint()
    def GetQuarterPack(self, request, call):  # noqa: N802
        if not call.caller.is_admin:
            raise PermissionDenied("the 调度会 pack is the 科协 office's (an admin token)")
        fmt = request.format or "pdf"
        if fmt not in documents.FORMATS:
            raise BadRequest.of("format", "unknown_format", f"{clip(fmt)!r}: pdf, xlsx or docx")
        figures = packs.gather(self.backend, call.caller, request.quarter)
        name, content_type, content = packs.render(self.backend, figures, fmt)
        return doc.Document(filename=name, content_type=content_type, content=content,
                            as_of=quarter_end(request.quarter).isoformat())


    @grpc_endpoint()
    def GetAssessment(self, request, call):  # noqa: N802
        if not call.caller.is_admin:
            raise PermissionDenied("the 考核 table is the 科协 office's (an admin token)")
        fmt = request.format or "pdf"
        if fmt not in ("pdf", "xlsx"):
            raise BadRequest.of("format", "unknown_format", f"{clip(fmt)!r}: pdf or xlsx")
        plan = self.backend.plan(call.caller.region, _calendar_year(request.year))
        period = plan["plan"]["period"]
        if not period["start"] <= request.year <= period["end"]:
            raise BadRequest.of("year", "outside_plan_period",
                                f"{request.year} 不在规划期（{period['start']}—{period['end']}年）内")
        end = dt.date(request.year, 12, 31)
        (progress,) = packs.figures_at(self.backend, call.caller, [end], BadRequest.of(
            "year", "not_ended", f"{request.year}年尚未结束：年终考核表在年度结束后生成"))
        name, content_type, content = self.backend.render(documents.assessment_file, request.year, fmt, plan,
                                                          progress, packs.towns_of(self.backend, call.caller))
        return doc.Document(filename=name, content_type=content_type, content=content, as_of=end.isoformat())


class PlanServicer(plan_grpc.PlanServiceServicer):
    def __init__(self, backend: Backend):
        self.backend = backend

    @grpc_endpoint()
    def GetPlan(self, request, call):  # noqa: N802
        """Any region's plan (plans are public documents); by default the caller's, of this year."""
        year = _calendar_year(request.year)
        return mapping.plan_of(self.backend.plan(request.region or call.caller.region, year), TARGET_GROUP_NAMES)


class SessionServicer(ses_grpc.SessionServiceServicer):
    """People sign in here (the web portal on their behalf). The gateway makes the session
    credential and hashes it, and hashes a set-up code, before anything goes on the bus: only
    sha256s reach organisations. SignIn, DescribeSetup and CompleteSetup need no bearer
    (``guard.PUBLIC_METHODS``); failed sign-ins are limited by organisations, per account and
    per address, in its database (``RESOURCE_EXHAUSTED``)."""

    def __init__(self, backend: Backend):
        self.backend = backend

    @grpc_endpoint(public=True)
    def SignIn(self, request, call):  # noqa: N802
        credential = new_session_credential()
        address = clip(request.client_address.strip(), 64) or peer_address(call.peer)
        answer = self.backend.rpc().organisations.sign_in(request.account, request.password, address,
                                                          token_hash(credential))
        return ses.SignInResponse(session_token=credential, identity=mapping.identity_pb(answer["identity"]),
                                  idle_timeout_seconds=answer["idle_timeout_seconds"])

    @grpc_endpoint(public=True)
    def DescribeSetup(self, request, call):  # noqa: N802
        return mapping.identity_pb(self.backend.rpc().organisations.describe_setup(_setup_hash(request.setup_code)))

    @grpc_endpoint(public=True)
    def CompleteSetup(self, request, call):  # noqa: N802
        identity = self.backend.rpc().organisations.complete_setup(_setup_hash(request.setup_code), request.password)
        return mapping.identity_pb(identity)

    @grpc_endpoint()
    def SignOut(self, request, call):  # noqa: N802
        if call.caller.session_id is None:
            raise FailedPrecondition("the bearer is a system's token, not a session: only a session from SignIn "
                                     "signs out (a token is revoked with `kepu org revoke ID`)")
        self.backend.rpc().organisations.sign_out(token_hash(call.bearer))
        self.backend.forget(call.bearer)
        return ses.SignOutResponse()

    @grpc_endpoint()
    def WhoAmI(self, request, call):  # noqa: N802
        c = call.caller
        region = self.backend.plan(c.region)["plan"]["region"]
        return ses.Identity(org=c.org, org_name=c.name, org_kind=c.org_kind, role=c.role, account=c.account or "",
                            display_name=c.display_name, region=region["code"], region_name=region["name"],
                            region_level=region["level"])


def new_session_credential() -> str:
    """A person's session credential, made here and returned once; organisations gets its sha256."""
    return "kps_" + secrets.token_urlsafe(32)


def _setup_hash(code: str) -> str:
    """The sha256 organisations knows a set-up code by (an empty code matches nothing)."""
    return token_hash(code.strip()) if code.strip() else ""
