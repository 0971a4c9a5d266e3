"""What keeps careless clients and strangers from holding the gateway up.

The gateway runs on ``grpc.aio``: an open call or stream costs a coroutine, not a thread. With
grpcio's threaded server every open stream held a worker thread, also once it went quiet: 32
idle health ``Watch`` streams stalled every report for as long as they stayed open. The
services are still called through nameko's blocking RPC, in the backend's own bounded pool of
threads (``Backend.run``), which only calls waiting for a service hold.

On top, every method is served here as a request-streaming one, which runs as soon as the
call's headers are in and can:

- sign the caller of a kepu.v1 method in from the headers before reading anything, so a
  stranger (no token, an unknown one) is refused at once; only ``PUBLIC_METHODS`` (signing a
  person in, and setting up an account's password) are served without a bearer;
- wait ``KEPU_GRPC_REQUEST_WAIT`` seconds for the (first) request message, then cancel the call;
- answer bytes that are not the method's protobuf message with ``INVALID_ARGUMENT`` (grpcio
  itself answers ``INTERNAL``, which blames the server);
- give each stream (health ``Watch``, reflection, ``WatchStatusChanges``) a slot under the caps
  of ``limits.StreamSlots`` (per address, per token or session, in all) and end it with ``CANCELLED`` once
  no message went either way for ``KEPU_GRPC_STREAM_IDLE_SECONDS``.

Every handler behind the guard is asynchronous: grpcio's aio health and reflection servicers,
and ``endpoint``'s methods.
"""
from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable

import grpc
from google.protobuf.message import DecodeError

from libs.common.access import Caller
from services.gateway.limits import StreamSlots, TooManyStreams
from services.gateway.metrics import GRPC_REQUESTS

KEPU_METHODS = "/kepu.v1."
# the kepu.v1 methods a caller without a bearer may call: how a person gets one (SignIn), and
# the set-up of an account's password before the first sign-in
PUBLIC_METHODS = frozenset({"/kepu.v1.SessionService/SignIn", "/kepu.v1.SessionService/DescribeSetup",
                            "/kepu.v1.SessionService/CompleteSetup"})

SignIn = Callable[[grpc.aio.ServicerContext, str], Awaitable[Caller | None]]
"""Signs a kepu.v1 call in from its headers: the caller, None when the services could not say
(the method's own sign-in then answers that), or the call aborted with the refusal."""


class Malformed:
    """Stands for a request whose bytes did not parse; the call is then refused, not crashed."""

    def __init__(self, reason: str):
        self.reason = reason


def _tolerant(deserialize):
    def parse(data: bytes):
        try:
            return deserialize(data)
        except (DecodeError, ValueError, TypeError) as exc:
            return Malformed(str(exc)[:200])

    return parse


class _Activity:
    """A call's wait for its messages: the first within ``first`` seconds, then a message either
    way at least every ``idle`` seconds; ``limit`` is the running ``asyncio.timeout``."""

    def __init__(self, first: float, idle: float):
        self.first, self.idle, self.messages = first, idle, 0
        self.limit: asyncio.Timeout | None = None

    def touch(self) -> None:
        self.messages += 1
        if self.limit is not None:
            self.limit.reschedule(asyncio.get_running_loop().time() + self.idle)

    def why_ended(self) -> str:
        if self.messages == 0:
            return f"the request message did not arrive within {self.first:.0f}s"
        return (f"no message either way for {self.idle:.0f}s: the gateway ends idle streams; open a new one "
                "when you need it")


class _Counting:
    """The call's context as a stream's handler sees it: each message written counts as activity."""

    def __init__(self, context: grpc.aio.ServicerContext, activity: _Activity):
        self._context, self._activity = context, activity

    def __getattr__(self, name: str):
        return getattr(self._context, name)

    async def write(self, message) -> None:
        await self._context.write(message)
        self._activity.touch()


class RequestGuard(grpc.aio.ServerInterceptor):
    """Serves every method as described in the module docstring."""

    def __init__(self, request_wait: float, stream_idle: float, slots: StreamSlots, sign_in: SignIn):
        self.request_wait, self.stream_idle = request_wait, stream_idle
        self.slots = slots
        self.sign_in = sign_in

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method: str = handler_call_details.method
        signs_in = method.startswith(KEPU_METHODS) and method not in PUBLIC_METHODS
        if handler.request_streaming or handler.response_streaming:
            return self._stream(handler, method, signs_in)
        return self._unary(handler, method, signs_in)

    def _unary(self, handler, method: str, signs_in: bool):
        async def answer(request_iterator, context: grpc.aio.ServicerContext):
            if signs_in:
                await self.sign_in(context, _name(method))
            request = await self._first(request_iterator, context, method, _Activity(self.request_wait, 0))
            return await handler.unary_unary(request, context)

        return grpc.stream_unary_rpc_method_handler(answer, _tolerant(handler.request_deserializer),
                                                    handler.response_serializer)

    def _stream(self, handler, method: str, signs_in: bool):
        """A stream holds a slot while open and ends when idle; a server stream's one request
        arrives as a unary call's does (checked, within the request wait)."""
        deserialize = handler.request_deserializer if handler.request_streaming else \
            _tolerant(handler.request_deserializer)

        async def run(request_iterator, context: grpc.aio.ServicerContext):
            caller = await self.sign_in(context, _name(method)) if signs_in else None
            try:
                with self.slots.hold(context.peer(), caller.credential if caller is not None else None):
                    return await self._follow(handler, method, request_iterator, context)
            except TooManyStreams as full:
                await _refuse(context, method, grpc.StatusCode.RESOURCE_EXHAUSTED, str(full))

        return grpc.stream_stream_rpc_method_handler(run, deserialize, handler.response_serializer) \
            if handler.response_streaming else \
            grpc.stream_unary_rpc_method_handler(run, deserialize, handler.response_serializer)

    async def _follow(self, handler, method: str, request_iterator, context: grpc.aio.ServicerContext):
        activity = _Activity(self.request_wait, self.stream_idle)
        if handler.request_streaming:
            request = _counted(request_iterator, activity)
        else:
            request = await self._first(request_iterator, context, method, activity)
        return await self._until_idle(self._serve(handler, request, _Counting(context, activity)), context, method,
                                      activity)

    async def _first(self, request_iterator, context, method: str, activity: _Activity):
        """The call's one request message, checked."""
        try:
            async with asyncio.timeout(activity.first):
                request = await anext(aiter(request_iterator), None)
        except TimeoutError:
            await _refuse(context, method, grpc.StatusCode.CANCELLED, activity.why_ended())
        activity.touch()
        if request is None:
            await _refuse(context, method, grpc.StatusCode.INVALID_ARGUMENT,
                          f"{method} takes exactly one request message")
        if isinstance(request, Malformed):
            await _refuse(context, method, grpc.StatusCode.INVALID_ARGUMENT,
                          f"the request is not a {_name(method)} message ({request.reason}); "
                          "build it from the proto files in proto/kepu/v1")
        return request

    async def _until_idle(self, serving: Awaitable, context, method: str, activity: _Activity):
        try:
            async with asyncio.timeout(activity.idle if activity.messages else activity.first) as limit:
                activity.limit = limit
                return await serving
        except TimeoutError:  # a kepu.v1 stream's end is counted by its endpoint already
            await _refuse(context, method, grpc.StatusCode.CANCELLED, activity.why_ended(),
                          counted=not method.startswith(KEPU_METHODS))

    @staticmethod
    async def _serve(handler, request, context: _Counting):
        """Runs the handler; a generator's messages are written through ``context`` (so counted)."""
        behaviour = handler.stream_stream if handler.request_streaming and handler.response_streaming else \
            handler.stream_unary if handler.request_streaming else handler.unary_stream
        result = behaviour(request, context)
        if not handler.response_streaming:
            return await result
        if inspect.isasyncgen(result):
            async for message in result:
                await context.write(message)
        else:  # a handler that writes through the context itself (grpcio's aio health Watch)
            await result
        return None


async def _counted(request_iterator, activity: _Activity) -> AsyncIterator:
    async for message in request_iterator:
        activity.touch()
        yield message


async def _refuse(context: grpc.aio.ServicerContext, method: str, code: grpc.StatusCode, message: str,
                  counted: bool = True) -> None:
    """Ends the call with ``code`` (``abort`` raises), counted like every call's outcome."""
    if counted:
        GRPC_REQUESTS.labels(_name(method), code.name).inc()
    await context.abort(code, message)


def _name(method: str) -> str:
    return method.rsplit("/", 1)[-1]
