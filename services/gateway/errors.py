"""Refusals of the services, as gRPC status codes a client can act on: one table.

Each service raises an exception named for what the caller can do (``libs/common/errors.py``);
nameko brings it back to the gateway as the same class with the same data. A refusal's
violations become ``google.rpc.BadRequest`` field violations as they are. Anything not in the
table is the system's fault: ``INTERNAL``, logged for operators, never blamed on the client.
"""
from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from libs.common.errors import (
    BadRequest,
    ClientError,
    Conflict,
    NotFound,
    PermissionDenied,
    Refusal,
    RequestExpired,
    StaleRevision,
    Violation,
)

CLIENT_ERRORS: dict[type[ClientError], grpc.StatusCode] = {
    BadRequest: grpc.StatusCode.INVALID_ARGUMENT,
    Conflict: grpc.StatusCode.ALREADY_EXISTS,
    NotFound: grpc.StatusCode.NOT_FOUND,
    PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    StaleRevision: grpc.StatusCode.ABORTED,
    RequestExpired: grpc.StatusCode.DEADLINE_EXCEEDED,
}
# a service's database did not answer (stopped, restarting, locked): nothing was stored
DATABASE_ERRORS = frozenset({"OperationalError", "InterfaceError"})
DATABASE_AWAY = ("the service's database is not answering; resend in a moment with the same external_id, which "
                 "applies a report once (if the answer was lost at the commit, it may have been stored already)")
RESEND_ADVICE = ("no answer in time: the change may or may not be stored; resend it with the same external_id "
                 "(a correction: the same content), which applies it once")


def status_for(exc: ClientError) -> grpc.StatusCode:
    return next(code for cls, code in CLIENT_ERRORS.items() if isinstance(exc, cls))


def abort_refused(context: grpc.ServicerContext, exc: ClientError) -> None:
    """Abort with the status of ``exc``; a refusal's violations as ``google.rpc.BadRequest``."""
    code = status_for(exc)
    if isinstance(exc, Refusal):
        abort_with_violations(context, code, exc.violations)
    context.abort(code, RESEND_ADVICE if code == grpc.StatusCode.DEADLINE_EXCEEDED else str(exc))


def abort_with_violations(context: grpc.ServicerContext, code: grpc.StatusCode, violations: list[Violation]) -> None:
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.BadRequest(field_violations=[
        error_details_pb2.BadRequest.FieldViolation(field=v.field, reason=v.code, description=v.message)
        for v in violations
    ]))
    message = "\n".join(str(v) for v in violations)
    status = status_pb2.Status(code=getattr(code_pb2, code.name), message=message, details=[detail])
    context.abort_with_status(rpc_status.to_status(status))


def abort_invalid(context: grpc.ServicerContext, field: str, code: str, why: str) -> None:
    abort_with_violations(context, grpc.StatusCode.INVALID_ARGUMENT, [Violation(field, code, why)])
