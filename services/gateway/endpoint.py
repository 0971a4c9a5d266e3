"""What every gRPC method of the gateway does around its own few lines: find the caller behind
the bearer token, check its role, count and time the call, and turn failures into status codes.

The server is ``grpc.aio``; a method's own lines call the services through nameko's blocking
RPC, so they run in the backend's pool of threads (``Backend.run``), never on the event loop.
They raise what went wrong (a ``libs.common.errors`` refusal, a service's error) and the
wrapper here answers it, in one place (``failure_for``).
"""
from __future__ import annotations

import functools
import logging
import time
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import grpc
from amqp.exceptions import AMQPError
from kombu.exceptions import KombuError
from nameko.exceptions import RemoteError, UnknownService
from nameko.standalone.rpc import RpcTimeout

from libs.common.access import Caller
from libs.common.errors import ClientError, PermissionDenied
from services.gateway.backend import Backend, Refused, TooManyFailures
from services.gateway.errors import (
    DATABASE_AWAY,
    DATABASE_ERRORS,
    RESEND_ADVICE,
    Failure,
    abort_with,
    refusal_failure,
)
from services.gateway.metrics import GRPC_LATENCY, GRPC_REQUESTS
from services.gateway.watch import TooManyWatchers

log = logging.getLogger(__name__)
MISSING_TOKEN = ("missing bearer token: send `authorization: Bearer <token>`; ask the 科协 operator for one "
                 "(kepu org token ORG)")
# who the request guard signed in (or why it could not): each call runs in its own task, so its own value
SIGNED_IN: ContextVar[Caller | Exception | None] = ContextVar("kepu_signed_in", default=None)


@dataclass(frozen=True)
class Call:
    """What a method's own lines get besides the request: who calls (None for a public method),
    until when a service may act on it (epoch seconds), the client's address (``ipv4:…:port``)
    and the bearer itself (signing out forgets it)."""

    caller: Caller | None
    deadline: float
    peer: str = ""
    bearer: str | None = None


class SignInRefused(Exception):
    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code


def bearer_token(context: grpc.aio.ServicerContext) -> str | None:
    scheme, _, token = dict(context.invocation_metadata() or ()).get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def sign_in(backend: Backend, token: str | None, peer: str) -> Caller:
    """The caller behind a bearer token (blocking: it may ask the organisations service);
    ``SignInRefused`` with the status otherwise."""
    if token is None:
        raise SignInRefused(grpc.StatusCode.UNAUTHENTICATED, MISSING_TOKEN)
    try:
        return backend.authenticate(token, peer)
    except Refused as why:
        raise SignInRefused(grpc.StatusCode.UNAUTHENTICATED, str(why)) from None
    except TooManyFailures as why:
        raise SignInRefused(grpc.StatusCode.RESOURCE_EXHAUSTED, str(why)) from None


async def signed_in(backend: Backend, context: grpc.aio.ServicerContext) -> Caller:
    """The call's caller, from the headers alone; the guard's answer when it signed the call in."""
    known = SIGNED_IN.get()
    if isinstance(known, Exception):  # the guard could not sign in: answer that, do not wait twice
        raise known
    if known is not None:
        return known
    return await backend.run(sign_in, backend, bearer_token(context), context.peer())


def guard_sign_in(backend: Backend):
    """``sign_in`` as the request guard calls it, before the body: a refusal ends the call,
    counted; a failure of the services is kept for the method, which answers it as usual."""

    async def guard(context: grpc.aio.ServicerContext, method: str) -> Caller | None:
        try:
            caller = await signed_in(backend, context)
        except SignInRefused as refused:
            GRPC_REQUESTS.labels(method, refused.code.name).inc()
            await context.abort(refused.code, str(refused))
        except Exception as exc:  # noqa: BLE001 - services unreachable, a database away
            SIGNED_IN.set(exc)
            return None
        SIGNED_IN.set(caller)
        return caller

    return guard


def failure_for(exc: Exception, method: str, backend_timeout: float) -> Failure | None:
    """The answer to a call that raised ``exc``, logged for operators as it deserves; None for
    the unexpected (a bug of the gateway: grpcio answers UNKNOWN)."""
    if isinstance(exc, SignInRefused):
        return Failure(exc.code, str(exc))
    if isinstance(exc, ClientError):
        failure = refusal_failure(exc)
        log.info("%s refused (%s): %s", method, failure.code.name, str(exc).splitlines()[0][:300] if str(exc) else "")
        return failure
    if isinstance(exc, TooManyWatchers):
        return Failure(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
    if isinstance(exc, RemoteError):
        if exc.exc_type in DATABASE_ERRORS:
            log.warning("%s: a service's database is not answering (%s); check the database",
                        method, exc.value.splitlines()[0][:200])
            return Failure(grpc.StatusCode.UNAVAILABLE, DATABASE_AWAY)
        log.error("%s failed in a backend service: %s: %s", method, exc.exc_type, exc.value)
        return Failure(grpc.StatusCode.INTERNAL, f"the service failed ({exc.exc_type}); operators see the logs")
    if isinstance(exc, RpcTimeout):
        log.error("%s got no answer within %.0fs; the services may be overloaded or stopping", method, backend_timeout)
        return Failure(grpc.StatusCode.DEADLINE_EXCEEDED, RESEND_ADVICE)
    if isinstance(exc, TimeoutError):  # a request the broker never confirmed (no majority of its nodes)
        log.error("%s: the broker did not confirm the request (%r); is a majority of RabbitMQ's nodes up "
                  "(`kepu broker check`)?", method, exc)
        return Failure(grpc.StatusCode.UNAVAILABLE, RESEND_ADVICE)
    if isinstance(exc, UnknownService | KombuError | AMQPError | OSError):
        log.error("%s could not reach the services: %r; is RabbitMQ up, its topology declared (`kepu broker setup`) "
                  "and are the services running?", method, exc)
        return Failure(grpc.StatusCode.UNAVAILABLE, "the services are not answering; retry later (nothing was stored)")
    return None


class _Outcome:
    """Counts and times one call under its method's name."""

    def __init__(self, method: str):
        self.method, self.code, self.start = method, grpc.StatusCode.OK, time.perf_counter()

    def record(self) -> None:
        GRPC_REQUESTS.labels(self.method, self.code.name).inc()
        GRPC_LATENCY.labels(self.method).observe(time.perf_counter() - self.start)


@asynccontextmanager
async def _answered(method: str, context: grpc.aio.ServicerContext, backend_timeout: float):
    """Runs a method's body: what it raises ends the call with its status (``failure_for``); the
    outcome is counted and timed either way."""
    outcome, failure = _Outcome(method), None
    try:
        yield
    except grpc.aio.AbortError:  # the body ended the call itself
        outcome.code = context.code() or grpc.StatusCode.UNKNOWN
        raise
    except Exception as exc:
        failure = failure_for(exc, method, backend_timeout)
        if failure is None:
            outcome.code = grpc.StatusCode.UNKNOWN
            log.exception("%s failed in the gateway", method)
            raise
        outcome.code = failure.code
    except BaseException:  # the client went away, or the guard ended an idle stream
        outcome.code = grpc.StatusCode.CANCELLED
        raise
    finally:
        outcome.record()
    if failure is not None:
        await abort_with(context, failure)


def grpc_endpoint(write: bool = False, public: bool = False):
    """Decorate a servicer method ``(self, request, call: Call)``, run in the backend's threads;
    ``write`` needs a reporter or admin token; ``public`` needs no bearer (``call.caller`` is
    None: the guard's ``PUBLIC_METHODS``, which must list it too)."""

    def decorate(method):
        name = method.__name__

        @functools.wraps(method)
        async def wrapper(self, request, context: grpc.aio.ServicerContext):
            async with _answered(name, context, self.backend.timeout):
                caller = None if public else await signed_in(self.backend, context)
                if write and not caller.may_write:
                    raise PermissionDenied(f"a {caller.role} token reads only; writing needs a reporter token")
                call = Call(caller, deadline(context, self.backend.timeout), context.peer(),
                            None if public else bearer_token(context))
                return await self.backend.run(method, self, request, call)

        return wrapper

    return decorate


def grpc_stream_endpoint(method):
    """Decorate a servicer stream ``(self, request, caller)``, an async generator run on the event
    loop (so it must not block); what it raises is answered as ``grpc_endpoint`` answers it."""
    name = method.__name__

    @functools.wraps(method)
    async def wrapper(self, request, context: grpc.aio.ServicerContext):
        async with _answered(name, context, self.backend.timeout):
            caller = await signed_in(self.backend, context)
            async for message in method(self, request, caller):
                yield message

    return wrapper


def deadline(context: grpc.aio.ServicerContext, backend_timeout: float) -> float:
    """Epoch seconds after which a service must not act on this request: the caller's deadline
    or ours, whichever is first, less a second for the answer's way back."""
    remaining = context.time_remaining()
    budget = backend_timeout if remaining is None else min(remaining, backend_timeout)
    return time.time() + budget - 1.0
