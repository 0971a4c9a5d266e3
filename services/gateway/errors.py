"""Remote errors of the services, as gRPC status codes a client can act on: one table.

Each service raises an exception named for what the caller can do (``libs/common/errors.py``);
nameko carries its class name as ``RemoteError.exc_type``. Anything not in the table is the
system's fault: ``INTERNAL``, logged for operators, never blamed on the client.
"""
from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from libs.common.errors import field_violations

# exc_type -> (status code, whether the message lists fields as BadRequest details)
REMOTE_ERRORS: dict[str, tuple[grpc.StatusCode, bool]] = {
    "BadRequest": (grpc.StatusCode.INVALID_ARGUMENT, True),
    "Conflict": (grpc.StatusCode.ALREADY_EXISTS, True),
    "NotFound": (grpc.StatusCode.NOT_FOUND, False),
    "PermissionDenied": (grpc.StatusCode.PERMISSION_DENIED, False),
    "StaleRevision": (grpc.StatusCode.ABORTED, False),
    "RequestExpired": (grpc.StatusCode.DEADLINE_EXCEEDED, False),
    # the service's database did not answer (stopped, restarting, locked): nothing was stored
    "OperationalError": (grpc.StatusCode.UNAVAILABLE, False),
    "InterfaceError": (grpc.StatusCode.UNAVAILABLE, False),
}
DATABASE_AWAY = ("the service's database is not answering; resend in a moment with the same external_id, which "
                 "applies a report once (if the answer was lost at the commit, it may have been stored already)")
RESEND_ADVICE = ("no answer in time: the change may or may not be stored; resend it with the same external_id "
                 "(a correction: the same content), which applies it once")


def status_for(exc_type: str) -> tuple[grpc.StatusCode, bool]:
    return REMOTE_ERRORS.get(exc_type, (grpc.StatusCode.INTERNAL, False))


def abort_with_fields(context: grpc.ServicerContext, code: grpc.StatusCode, message: str) -> None:
    """Abort with ``google.rpc.BadRequest`` field violations parsed from ``field: why`` lines."""
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.BadRequest(field_violations=[
        error_details_pb2.BadRequest.FieldViolation(field=f, description=d) for f, d in field_violations(message)
    ]))
    status = status_pb2.Status(code=getattr(code_pb2, code.name), message=message, details=[detail])
    context.abort_with_status(rpc_status.to_status(status))


def abort_invalid(context: grpc.ServicerContext, field: str, why: str) -> None:
    abort_with_fields(context, grpc.StatusCode.INVALID_ARGUMENT, f"{field}: {why}")
