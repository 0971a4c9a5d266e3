"""Refusals of the services, as gRPC status codes a client can act on: one table.

Each service raises an exception named for what the caller can do (``libs/common/errors.py``);
nameko brings it back to the gateway as the same class with the same data. A refusal's
violations become ``google.rpc.BadRequest`` field violations as they are. Anything not in the
table is the system's fault: ``INTERNAL``, logged for operators, never blamed on the client.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from libs.common.errors import (
    BadRequest,
    ClientError,
    Conflict,
    FailedPrecondition,
    Locked,
    NotFound,
    PermissionDenied,
    Refusal,
    RequestExpired,
    StaleRevision,
    TooManyAttempts,
    Unauthenticated,
    Violation,
    clip,
)

CLIENT_ERRORS: dict[type[ClientError], grpc.StatusCode] = {
    BadRequest: grpc.StatusCode.INVALID_ARGUMENT,
    Conflict: grpc.StatusCode.ALREADY_EXISTS,
    NotFound: grpc.StatusCode.NOT_FOUND,
    PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    StaleRevision: grpc.StatusCode.ABORTED,
    RequestExpired: grpc.StatusCode.DEADLINE_EXCEEDED,
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    TooManyAttempts: grpc.StatusCode.RESOURCE_EXHAUSTED,
    FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    Locked: grpc.StatusCode.FAILED_PRECONDITION,
}
# a service's database did not answer (stopped, restarting, locked): nothing was stored
DATABASE_ERRORS = frozenset({"OperationalError", "InterfaceError"})
DATABASE_AWAY = ("the service's database is not answering; resend in a moment with the same external_id, which "
                 "applies a report once (if the answer was lost at the commit, it may have been stored already)")
MESSAGE_LIMIT = 2000  # characters of a refusal's message at most (services clip what they echo; this is the edge)
RESEND_ADVICE = ("no answer in time: the change may or may not be stored; resend it with the same external_id "
                 "(a correction: the same content), which applies it once")


@dataclass(frozen=True)
class Failure:
    """How a call ends when it does not answer: a status code, a message, and for a refusal its
    violations (sent as ``google.rpc.BadRequest``)."""

    code: grpc.StatusCode
    message: str
    violations: tuple[Violation, ...] = ()


def status_for(exc: ClientError) -> grpc.StatusCode:
    return next(code for cls, code in CLIENT_ERRORS.items() if isinstance(exc, cls))


def refusal_failure(exc: ClientError) -> Failure:
    """The status of ``exc``; a refusal's violations as they are; a message bounded whatever a
    service put in it (a client's default limit on a status message is 8 KiB of headers)."""
    code = status_for(exc)
    if isinstance(exc, Refusal):
        return Failure(code, str(exc), tuple(exc.violations))
    message = str(exc)
    return Failure(code, RESEND_ADVICE if code == grpc.StatusCode.DEADLINE_EXCEEDED else clip(message, MESSAGE_LIMIT))


async def abort_with(context: grpc.aio.ServicerContext, failure: Failure) -> NoReturn:
    """Ends the call with ``failure`` (``abort`` raises)."""
    if failure.violations:
        detail = any_pb2.Any()
        detail.Pack(error_details_pb2.BadRequest(field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=v.field, reason=v.code, description=v.message)
            for v in failure.violations
        ]))
        status = status_pb2.Status(code=getattr(code_pb2, failure.code.name), message=failure.message,
                                   details=[detail])
        await context.abort_with_status(rpc_status.to_status(status))
    await context.abort(failure.code, failure.message)
