"""gRPC servicers: authenticate, translate proto <-> dicts, map errors to gRPC status codes."""
from __future__ import annotations

import functools
import logging
import time

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from kombu.exceptions import KombuError
from nameko.exceptions import RemoteError, UnknownService
from nameko.standalone.rpc import RpcTimeout

from libs.common.api.kepu.v1 import gateway_pb2 as pb
from libs.common.api.kepu.v1 import gateway_pb2_grpc as pb_grpc
from libs.common.errors import field_violations
from services.gateway.backend import Backend
from services.gateway.metrics import GRPC_LATENCY, GRPC_REQUESTS

log = logging.getLogger(__name__)


def _abort_invalid(context: grpc.ServicerContext, message: str) -> None:
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.BadRequest(field_violations=[
        error_details_pb2.BadRequest.FieldViolation(field=f, description=d) for f, d in field_violations(message)
    ]))
    status = status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=message, details=[detail])
    context.abort_with_status(rpc_status.to_status(status))


def _caller(backend: Backend, context: grpc.ServicerContext) -> dict | None:
    """The organisation behind the call's ``authorization: Bearer <token>``, if any."""
    scheme, _, token = dict(context.invocation_metadata()).get("authorization", "").partition(" ")
    return backend.authenticate(token) if scheme.lower() == "bearer" and token else None


def handled(method):
    """Authenticate the caller, count the call, and turn backend failures into gRPC codes.

    ``context.abort`` raises, so each branch ends the call; only backend errors are caught.
    """

    @functools.wraps(method)
    def wrapper(self, request, context):
        start, code = time.perf_counter(), "OK"
        try:
            org = _caller(self.backend, context)
            if org is None:
                code = "UNAUTHENTICATED"
                context.abort(grpc.StatusCode.UNAUTHENTICATED,
                              "missing or unknown bearer token; ask the 科协 operator for one (kepu org token ORG)")
            return method(self, request, context, org)
        except RemoteError as exc:
            if exc.exc_type == "BadRequest":
                code = "INVALID_ARGUMENT"
                _abort_invalid(context, exc.value)
            if exc.exc_type == "Conflict":
                code = "ALREADY_EXISTS"
                context.abort(grpc.StatusCode.ALREADY_EXISTS, exc.value)
            code = "INTERNAL"
            log.error("%s failed in a backend service: %s: %s", method.__name__, exc.exc_type, exc.value)
            context.abort(grpc.StatusCode.INTERNAL, f"the service failed ({exc.exc_type}); operators see the logs")
        except RpcTimeout:
            code = "DEADLINE_EXCEEDED"
            log.error("%s got no answer within %.0fs; the services may be overloaded or stopping",
                      method.__name__, self.backend.timeout)
            context.abort(grpc.StatusCode.DEADLINE_EXCEEDED,
                          "no answer in time: the report may or may not be stored; resend it with the same "
                          "external_id, which counts it once")
        except (UnknownService, KombuError, OSError) as exc:
            code = "UNAVAILABLE"
            log.error("%s could not reach the services: %r; is RabbitMQ up and are the services running?",
                      method.__name__, exc)
            context.abort(grpc.StatusCode.UNAVAILABLE,
                          "the services are not answering; retry later (the report was not stored)")
        except Exception:
            if code == "OK":  # not an abort of ours: an unexpected failure
                code = "UNKNOWN"
            raise
        finally:
            GRPC_REQUESTS.labels(method.__name__, code).inc()
            GRPC_LATENCY.labels(method.__name__).observe(time.perf_counter() - start)

    return wrapper


def _activity_pb(a: dict) -> pb.Activity:
    return pb.Activity(
        activity_id=a["activity_id"], org=a["org"], revision=a["revision"], activity_type=a["activity_type"],
        title=a["title"], external_id=a["external_id"] or "", town=a["town"] or "",
        target_group=a["target_group"] or "", start_date=a["start_date"], end_date=a["end_date"],
        quantities=a["quantities"],
    )


class ActivityServicer(pb_grpc.ActivityServiceServicer):
    def __init__(self, backend: Backend):
        self.backend = backend

    @handled
    def ReportActivity(self, request, context, org):  # noqa: N802 - gRPC naming
        report = {
            "activity_type": request.activity_type, "title": request.title,
            "external_id": request.external_id or None, "town": request.town or None,
            "target_group": request.target_group or None, "co_organisers": list(request.co_organisers),
            "start_date": request.start_date or None, "end_date": request.end_date or None,
            "quantities": dict(request.quantities),
        }
        # the deadline travels with the request: a report that arrives after we gave up is dropped
        deadline = time.time() + self.backend.timeout - 1.0
        result = self.backend.rpc().activities.record_activity(org["code"], report, deadline=deadline)
        return pb.ReportActivityResponse(activity=_activity_pb(result), created=result["created"])


class IndicatorServicer(pb_grpc.IndicatorServiceServicer):
    def __init__(self, backend: Backend):
        self.backend = backend

    @handled
    def GetProgress(self, request, context, org):  # noqa: N802 - gRPC naming
        rows = self.backend.rpc().indicators.get_progress(request.indicator or None, request.scope or None)
        return pb.GetProgressResponse(windows=[
            pb.WindowProgress(
                indicator=r["indicator"], name=r["name"], kind=r["kind"], window=r["window"], scope=r["scope"],
                actual=r["actual"], expected=r["expected"] or 0.0, target=r["target"] or 0.0, unit=r["unit"],
                status=r["status"] or "", as_of=r["as_of"] or "",
            ) for r in rows
        ])
