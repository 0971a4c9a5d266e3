"""What every gRPC method of the gateway does around its own few lines: find the caller behind
the bearer token, check its role, count and time the call, and turn failures into status codes.

``context.abort`` raises, so each branch ends the call; the method itself only translates
proto to a service call and back.
"""
from __future__ import annotations

import functools
import logging
import time

import grpc
from kombu.exceptions import KombuError
from nameko.exceptions import RemoteError, UnknownService
from nameko.standalone.rpc import RpcTimeout

from libs.common.access import Caller
from libs.common.errors import ClientError
from services.gateway.backend import Refused, TooManyFailures
from services.gateway.errors import DATABASE_AWAY, DATABASE_ERRORS, RESEND_ADVICE, abort_refused, status_for
from services.gateway.limits import CALLER_ATTRIBUTE, MISSING_TOKEN
from services.gateway.metrics import GRPC_LATENCY, GRPC_REQUESTS

log = logging.getLogger(__name__)


def bearer_token(context: grpc.ServicerContext) -> str | None:
    scheme, _, token = dict(context.invocation_metadata()).get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class SignInRefused(Exception):
    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code


def sign_in(backend, context: grpc.ServicerContext) -> Caller:
    """The caller behind the call's bearer token, from its headers alone (so the request guard
    can refuse a stranger before reading the body); ``SignInRefused`` with the status otherwise."""
    cached = getattr(context, CALLER_ATTRIBUTE, None)
    if isinstance(cached, Exception):  # the guard's sign-in failed already: answer that, do not wait twice
        raise cached
    if cached is not None:
        return cached
    token = bearer_token(context)
    if token is None:
        raise SignInRefused(grpc.StatusCode.UNAUTHENTICATED, MISSING_TOKEN)
    try:
        caller = backend.authenticate(token, context.peer())
    except Refused as why:
        raise SignInRefused(grpc.StatusCode.UNAUTHENTICATED, str(why)) from None
    except TooManyFailures as why:
        raise SignInRefused(grpc.StatusCode.RESOURCE_EXHAUSTED, str(why)) from None
    setattr(context, CALLER_ATTRIBUTE, caller)
    return caller


def guard_sign_in(backend):
    """``sign_in`` as the request guard calls it: a refusal ends the call, counted."""

    def guard(context: grpc.ServicerContext, method: str) -> None:
        try:
            sign_in(backend, context)
        except SignInRefused as refused:
            GRPC_REQUESTS.labels(method, refused.code.name).inc()
            context.abort(refused.code, str(refused))
        except Exception as exc:  # noqa: BLE001 - services unreachable, a database away: kept for the
            setattr(context, CALLER_ATTRIBUTE, exc)  # method's own sign-in, which answers it as usual

    return guard


def grpc_endpoint(write: bool = False):
    """Decorate a servicer method ``(self, request, context, caller)``; ``write`` needs a
    reporter or admin token."""

    def decorate(method):
        name = method.__name__

        @functools.wraps(method)
        def wrapper(self, request, context):
            start, code = time.perf_counter(), grpc.StatusCode.OK
            try:
                try:
                    caller = sign_in(self.backend, context)
                except SignInRefused as refused:
                    code = refused.code
                    context.abort(code, str(refused))
                if write and not caller.may_write:
                    code = grpc.StatusCode.PERMISSION_DENIED
                    context.abort(code, f"a {caller.role} token reads only; writing needs a reporter token")
                return method(self, request, context, caller)
            except ClientError as exc:
                code = status_for(exc)
                log.info("%s refused (%s): %s", name, code.name, str(exc).splitlines()[0][:300] if str(exc) else "")
                abort_refused(context, exc)
            except RemoteError as exc:
                if exc.exc_type in DATABASE_ERRORS:
                    code = grpc.StatusCode.UNAVAILABLE
                    log.warning("%s: a service's database is not answering (%s); check the database",
                                name, exc.value.splitlines()[0][:200])
                    context.abort(code, DATABASE_AWAY)
                code = grpc.StatusCode.INTERNAL
                log.error("%s failed in a backend service: %s: %s", name, exc.exc_type, exc.value)
                context.abort(code, f"the service failed ({exc.exc_type}); operators see the logs")
            except RpcTimeout:
                code = grpc.StatusCode.DEADLINE_EXCEEDED
                log.error("%s got no answer within %.0fs; the services may be overloaded or stopping",
                          name, self.backend.timeout)
                context.abort(code, RESEND_ADVICE)
            except (UnknownService, KombuError, OSError) as exc:
                code = grpc.StatusCode.UNAVAILABLE
                log.error("%s could not reach the services: %r; is RabbitMQ up and are the services running?",
                          name, exc)
                context.abort(code, "the services are not answering; retry later (nothing was stored)")
            except Exception:
                if code == grpc.StatusCode.OK:  # an abort in the method itself, or an unexpected failure
                    code = context.code() or grpc.StatusCode.UNKNOWN
                    if code == grpc.StatusCode.UNKNOWN:
                        log.exception("%s failed in the gateway", name)
                raise
            finally:
                GRPC_REQUESTS.labels(name, code.name).inc()
                GRPC_LATENCY.labels(name).observe(time.perf_counter() - start)

        return wrapper

    return decorate


def deadline(context: grpc.ServicerContext, backend_timeout: float) -> float:
    """Epoch seconds after which a service must not act on this request: the caller's deadline
    or ours, whichever is first, less a second for the answer's way back."""
    remaining = context.time_remaining()
    budget = backend_timeout if remaining is None else min(remaining, backend_timeout)
    return time.time() + budget - 1.0
