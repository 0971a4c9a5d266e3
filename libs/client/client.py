"""``KepuClient``: the kepu.v1 API as a department system uses it.

Wraps the generated stubs with what every caller needs: the bearer token on each call, a
deadline, TLS when a CA is given, retries of ``UNAVAILABLE`` (safe: a report is resent with the
same external_id, so it counts once) and errors turned into readable lines.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from libs.common.api.kepu.v1 import activity_service_pb2 as act
from libs.common.api.kepu.v1 import activity_service_pb2_grpc as act_grpc
from libs.common.api.kepu.v1 import alert_service_pb2 as alr
from libs.common.api.kepu.v1 import alert_service_pb2_grpc as alr_grpc
from libs.common.api.kepu.v1 import indicator_service_pb2 as ind
from libs.common.api.kepu.v1 import indicator_service_pb2_grpc as ind_grpc
from libs.common.api.kepu.v1 import organisation_service_pb2 as org
from libs.common.api.kepu.v1 import organisation_service_pb2_grpc as org_grpc
from libs.common.api.kepu.v1 import plan_service_pb2 as plan
from libs.common.api.kepu.v1 import plan_service_pb2_grpc as plan_grpc
from libs.common.api.kepu.v1 import report_service_pb2 as doc
from libs.common.api.kepu.v1 import report_service_pb2_grpc as doc_grpc
from libs.common.api.kepu.v1 import reporting_service_pb2 as rep
from libs.common.api.kepu.v1 import reporting_service_pb2_grpc as rep_grpc
from libs.common.api.kepu.v1 import resources_pb2 as res
from libs.common.api.kepu.v1 import session_service_pb2 as ses
from libs.common.api.kepu.v1 import session_service_pb2_grpc as ses_grpc

RETRY_PAUSES = (0.5, 1.0, 2.0, 4.0)  # before each retry of an UNAVAILABLE call
MAX_MESSAGE = 16 * 1024 * 1024


class ClientError(Exception):
    """A call that failed: its status code, message and field violations (field, description)."""

    def __init__(self, code: grpc.StatusCode, message: str, violations: list[tuple[str, str]]):
        super().__init__(f"{code.name}: {message}")
        self.code, self.message, self.violations = code, message, violations

    def lines(self) -> list[str]:
        """What to print for a person: the code and message, then each field on its own line."""
        n = len(self.violations)
        head = f"请求有{n}处问题" if n else self.message
        return [f"{self.code.name}：{head}", *(f"  字段 {f}：{d}" for f, d in self.violations)]

    @classmethod
    def of(cls, exc: grpc.RpcError) -> "ClientError":
        violations = []
        status = rpc_status.from_call(exc)
        for detail in status.details if status is not None else []:
            bad = error_details_pb2.BadRequest()
            if detail.Unpack(bad):
                violations += [(v.field, v.description) for v in bad.field_violations]
        return cls(exc.code(), exc.details() or "", violations)


def report_message(cls, report: dict):
    """A report dict (ActivityReport fields; missing ones empty) as ``cls`` (either report message)."""
    fields = {k: v for k, v in report.items() if v not in (None, "")}
    return cls(**fields)


class KepuClient:
    def __init__(self, target: str, token: str, ca_file: Path | None = None, timeout: float = 30.0,
                 retries: int = len(RETRY_PAUSES)):
        options = [("grpc.max_receive_message_length", MAX_MESSAGE), ("grpc.max_send_message_length", MAX_MESSAGE)]
        if ca_file:
            creds = grpc.ssl_channel_credentials(root_certificates=Path(ca_file).read_bytes())
            self.channel = grpc.secure_channel(target, creds, options=options)
        else:
            self.channel = grpc.insecure_channel(target, options=options)
        self.metadata = [("authorization", f"Bearer {token}")]
        self.timeout, self.retries = timeout, retries
        self.activities = act_grpc.ActivityServiceStub(self.channel)
        self.indicators = ind_grpc.IndicatorServiceStub(self.channel)
        self.organisations = org_grpc.OrganisationServiceStub(self.channel)
        self.alerts = alr_grpc.AlertServiceStub(self.channel)
        self.plans = plan_grpc.PlanServiceStub(self.channel)
        self.sessions = ses_grpc.SessionServiceStub(self.channel)
        self.reporting = rep_grpc.ReportingServiceStub(self.channel)
        self.documents = doc_grpc.ReportServiceStub(self.channel)

    def with_token(self, token: str) -> "KepuClient":
        """The same connection and stubs, calling as ``token``: a server that calls for many people
        (the web portal) keeps one channel instead of opening one per request."""
        other = copy.copy(self)
        other.metadata = [("authorization", f"Bearer {token}")]
        return other

    def __enter__(self) -> "KepuClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.channel.close()

    def call(self, method, request, timeout: float | None = None):
        """One unary call with the token and a deadline; UNAVAILABLE is retried with a pause."""
        for attempt in range(self.retries + 1):
            try:
                return method(request, metadata=self.metadata, timeout=timeout or self.timeout)
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.UNAVAILABLE or attempt == self.retries:
                    raise ClientError.of(exc) from None
                time.sleep(RETRY_PAUSES[min(attempt, len(RETRY_PAUSES) - 1)])
        raise AssertionError("unreachable")

    # --- activities ---------------------------------------------------------------------------
    def report(self, report: dict) -> act.ReportActivityResponse:
        return self.call(self.activities.ReportActivity, report_message(act.ReportActivityRequest, report))

    def report_batch(self, rows: list[dict], skip_invalid: bool = False, validate_only: bool = False,
                     correct_changed: bool = False) -> act.ReportActivitiesResponse:
        mode = act.ReportActivitiesRequest.SKIP_INVALID if skip_invalid else act.ReportActivitiesRequest.ALL_OR_NOTHING
        request = act.ReportActivitiesRequest(rows=[report_message(res.ActivityReport, r) for r in rows], mode=mode,
                                              validate_only=validate_only, correct_changed=correct_changed)
        return self.call(self.activities.ReportActivities, request, timeout=max(self.timeout, 60.0))

    def correct(self, activity_id: str, revision: int, content: dict, reason: str = "") -> res.Activity:
        request = act.CorrectActivityRequest(activity_id=activity_id, revision=revision, reason=reason,
                                             content=report_message(res.ActivityReport, content))
        return self.call(self.activities.CorrectActivity, request).activity

    def retract(self, activity_id: str, reason: str, revision: int = 0) -> res.Activity:
        request = act.RetractActivityRequest(activity_id=activity_id, revision=revision, reason=reason)
        return self.call(self.activities.RetractActivity, request).activity

    def get(self, activity_id: str) -> res.Activity:
        return self.call(self.activities.GetActivity, act.GetActivityRequest(activity_id=activity_id))

    def history(self, activity_id: str) -> list[res.AuditEntry]:
        request = act.GetActivityHistoryRequest(activity_id=activity_id)
        return list(self.call(self.activities.GetActivityHistory, request).entries)

    def list_activities(self, limit: int | None = None, page_size: int = 500, **filters) -> Iterator[res.Activity]:
        """Every matching activity, page after page (at most ``limit``)."""
        token, seen = "", 0
        while True:
            request = act.ListActivitiesRequest(page_size=page_size, page_token=token, **filters)
            answer = self.call(self.activities.ListActivities, request)
            for activity in answer.activities:
                if limit is not None and seen >= limit:
                    return
                seen += 1
                yield activity
            token = answer.next_page_token
            if not token:
                return

    def activities_page(self, page_size: int, page_token: str = "", **filters) -> act.ListActivitiesResponse:
        """One page of activities (a screen that pages by hand keeps ``next_page_token``)."""
        request = act.ListActivitiesRequest(page_size=page_size, page_token=page_token, **filters)
        return self.call(self.activities.ListActivities, request)

    # --- indicators, organisations, alerts, plan ----------------------------------------------
    def progress(self, indicator: str = "", scope: str = "") -> list[res.WindowProgress]:
        request = ind.GetProgressRequest(indicator=indicator, scope=scope)
        return list(self.call(self.indicators.GetProgress, request).windows)

    def year_progress(self, year: int = 0, indicator: str = "", targets_only: bool = False,
                      region: str = "") -> ind.ListProgressResponse:
        out, token = None, ""
        while True:
            request = ind.ListProgressRequest(year=year, indicator=indicator, targets_only=targets_only,
                                              page_size=500, page_token=token, region=region)
            answer = self.call(self.indicators.ListProgress, request)
            if out is None:
                out = answer
            else:
                out.indicators.extend(answer.indicators)
            token = answer.next_page_token
            if not token:
                out.next_page_token = ""
                return out

    def watch(self, indicator: str = "", timeout: float | None = None) -> Iterator[res.StatusChange]:
        """Status changes as they happen, until ``timeout`` seconds (None: until cancelled)."""
        request = ind.WatchStatusChangesRequest(indicator=indicator)
        try:
            yield from self.indicators.WatchStatusChanges(request, metadata=self.metadata, timeout=timeout)
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
                raise ClientError.of(exc) from None

    def _pages(self, method, request_cls, field: str, **kwargs) -> list:
        out, token = [], ""
        while True:
            answer = self.call(method, request_cls(page_size=1000, page_token=token, **kwargs))
            out += list(getattr(answer, field))
            token = answer.next_page_token
            if not token:
                return out

    def organisation(self, code: str) -> res.Organisation:
        return self.call(self.organisations.GetOrganisation, org.GetOrganisationRequest(code=code))

    def list_organisations(self, kind: str = "") -> list[res.Organisation]:
        return self._pages(self.organisations.ListOrganisations, org.ListOrganisationsRequest, "organisations",
                           kind=kind)

    def list_alerts(self, state: str = "", indicator: str = "") -> list[res.Alert]:
        return self._pages(self.alerts.ListAlerts, alr.ListAlertsRequest, "alerts", state=state, indicator=indicator)

    def plan(self, region: str = "", year: int = 0) -> plan.Plan:
        """A region's plan of a year (defaults: the caller's region, this year or the nearest year of a plan)."""
        return self.call(self.plans.GetPlan, plan.GetPlanRequest(region=region, year=year))

    # --- reporting periods -------------------------------------------------------------------
    def submit_period(self, period: str, nil: bool = False) -> rep.ReportingPeriod:
        """本期已报送 (``nil``: 本期无活动) for the token's organisation."""
        return self.call(self.reporting.SubmitPeriod, rep.SubmitPeriodRequest(period=period, nil=nil))

    def reporting_status(self, year: int = 0, org: str = "", state: str = "") -> tuple[int, list[rep.ReportingPeriod]]:
        """The year (0: this one) and every period the token may read, all pages."""
        periods, token = [], ""
        while True:
            answer = self.call(self.reporting.ListReportingStatus, rep.ListReportingStatusRequest(
                year=year, org=org, state=state, page_size=1000, page_token=token))
            periods += list(answer.periods)
            token = answer.next_page_token
            if not token:
                return answer.year, periods

    def approve_period(self, org: str, period: str) -> rep.ReportingPeriod:
        return self.call(self.reporting.ApprovePeriod, rep.ApprovePeriodRequest(org=org, period=period))

    def reopen_period(self, org: str, period: str, reason: str) -> rep.ReportingPeriod:
        return self.call(self.reporting.ReopenPeriod, rep.ReopenPeriodRequest(org=org, period=period, reason=reason))

    # --- the office's documents ---------------------------------------------------------------
    def quarter_pack(self, quarter: str, fmt: str = "pdf") -> doc.Document:
        """The 调度会 pack of an ended quarter (admin); laying it out takes a few seconds."""
        return self.call(self.documents.GetQuarterPack, doc.GetQuarterPackRequest(quarter=quarter, format=fmt),
                         timeout=max(self.timeout, 120))

    def assessment(self, year: int, fmt: str = "pdf") -> doc.Document:
        """The year-end 考核 table of an ended year (admin)."""
        return self.call(self.documents.GetAssessment, doc.GetAssessmentRequest(year=year, format=fmt),
                         timeout=max(self.timeout, 120))

    # --- people's sessions (SignIn, DescribeSetup and CompleteSetup need no token) ------------
    def sign_in(self, account: str, password: str, client_address: str = "") -> ses.SignInResponse:
        """A new session: send its ``session_token`` as the bearer of later calls."""
        request = ses.SignInRequest(account=account, password=password, client_address=client_address)
        return self.call(self.sessions.SignIn, request)

    def describe_setup(self, code: str) -> ses.Identity:
        return self.call(self.sessions.DescribeSetup, ses.DescribeSetupRequest(setup_code=code))

    def complete_setup(self, code: str, password: str) -> ses.Identity:
        return self.call(self.sessions.CompleteSetup, ses.CompleteSetupRequest(setup_code=code, password=password))

    def sign_out(self) -> None:
        """End the session this client's token is."""
        self.call(self.sessions.SignOut, ses.SignOutRequest())

    def who_am_i(self) -> ses.Identity:
        return self.call(self.sessions.WhoAmI, ses.WhoAmIRequest())
