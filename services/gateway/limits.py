"""What keeps careless clients and strangers from stopping the gateway.

grpcio's threaded server gives each call a worker thread *before* its request message has
arrived, and waits for that message without a time limit: a few streams opened and left idle
hold every worker, and the gateway stops answering. So each method (the API's, the health
service's and reflection's) is served here as a request-streaming one, which runs at once and
can:

- sign the caller of a kepu.v1 method in from the call's headers before reading anything, so a
  stranger (no token, an unknown one) is refused at once;
- read the one request message under a watchdog that cancels the call when it is not complete
  within ``KEPU_GRPC_REQUEST_WAIT`` seconds (for reflection's stream: each message);
- answer bytes that are not the method's protobuf message with ``INVALID_ARGUMENT`` (grpcio
  itself answers ``INTERNAL``, which blames the server).

``FailedSignIns`` limits, per client address, how many unknown tokens are looked up: a flood
of random tokens costs the organisations service nothing beyond that.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

import grpc
from google.protobuf.message import DecodeError

KEPU_METHODS = "/kepu.v1."
CALLER_ATTRIBUTE = "kepu_caller"  # set on the call's context by ``endpoint.sign_in``
MISSING_TOKEN = ("missing bearer token: send `authorization: Bearer <token>`; ask the 科协 operator for one "
                 "(kepu org token ORG)")


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


class Watchdog:
    """One thread cancelling calls whose request has not arrived in time (not a timer per call)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._waiting: dict[int, tuple[float, grpc.ServicerContext]] = {}
        self._lock = threading.Lock()
        self._next = 0
        threading.Thread(target=self._run, name="grpc-request-watchdog", daemon=True).start()

    def watch(self, context: grpc.ServicerContext) -> int:
        with self._lock:
            self._next += 1
            self._waiting[self._next] = (time.monotonic() + self.seconds, context)
            return self._next

    def done(self, ticket: int) -> None:
        with self._lock:
            self._waiting.pop(ticket, None)

    def _run(self) -> None:
        while True:
            time.sleep(min(1.0, self.seconds / 4))
            now = time.monotonic()
            with self._lock:
                late = [k for k, (due, _) in self._waiting.items() if due <= now]
                contexts = [self._waiting.pop(k)[1] for k in late]
            for context in contexts:
                context.cancel()


class RequestGuard(grpc.ServerInterceptor):
    """Serves every method as described in the module docstring."""

    def __init__(self, request_wait: float, sign_in):
        """``sign_in(context)`` finds the caller or raises ``SignInRefused`` (``endpoint``)."""
        self.watchdog = Watchdog(request_wait)
        self.sign_in = sign_in

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None:
            return handler
        if handler.request_streaming:  # reflection: each message of its stream under the watchdog
            return self._watched_stream(handler)
        read = self._reader(handler_call_details.method, handler_call_details.method.startswith(KEPU_METHODS))
        if handler.response_streaming:
            def stream(request_iterator, context):
                yield from handler.unary_stream(read(request_iterator, context), context)

            return grpc.stream_stream_rpc_method_handler(stream, _tolerant(handler.request_deserializer),
                                                         handler.response_serializer)

        def unary(request_iterator, context):
            return handler.unary_unary(read(request_iterator, context), context)

        return grpc.stream_unary_rpc_method_handler(unary, _tolerant(handler.request_deserializer),
                                                    handler.response_serializer)

    def _watched_stream(self, handler):
        def messages(request_iterator, context):
            while True:
                ticket = self.watchdog.watch(context)
                try:
                    request = next(request_iterator, None)
                except grpc.RpcError:
                    return
                finally:
                    self.watchdog.done(ticket)
                if request is None:
                    return
                yield request

        if handler.response_streaming:
            return grpc.stream_stream_rpc_method_handler(
                lambda it, context: handler.stream_stream(messages(it, context), context),
                handler.request_deserializer, handler.response_serializer)
        return grpc.stream_unary_rpc_method_handler(
            lambda it, context: handler.stream_unary(messages(it, context), context),
            handler.request_deserializer, handler.response_serializer)

    def _reader(self, method: str, signs_in: bool):
        """Health checks and reflection need no token; the API's methods do."""
        def read(request_iterator, context: grpc.ServicerContext):
            if signs_in:
                self.sign_in(context, method.rsplit("/", 1)[-1])
            ticket = self.watchdog.watch(context)
            try:
                request = next(request_iterator, None)
            except grpc.RpcError:  # cancelled by the watchdog or the client: the call has ended
                context.abort(grpc.StatusCode.CANCELLED,
                              f"the request message did not arrive within {self.watchdog.seconds:.0f}s")
            finally:
                self.watchdog.done(ticket)
            if request is None:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{method} takes exactly one request message")
            if isinstance(request, Malformed):
                context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                              f"the request is not a {method.rsplit('/', 1)[-1]} message ({request.reason}); "
                              "build it from the proto files in proto/kepu/v1")
            return request

        return read


class FailedSignIns:
    """Unknown tokens looked up per client address: at most ``limit`` a minute. An IPv6 client is
    counted by its /64 (one host usually holds a whole /64); at most ``MAX_ADDRESSES`` are kept."""

    MAX_ADDRESSES = 10_000

    def __init__(self, limit: int, window: float = 60.0):
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked_for(self, peer: str) -> float:
        """Seconds until ``peer`` may try another unknown token (0: it may now)."""
        host, now = _host(peer), time.monotonic()
        with self._lock:
            failures = self._failures.get(host)
            if not failures:
                return 0.0
            while failures and failures[0] <= now - self.window:
                failures.popleft()
            if not failures:
                del self._failures[host]
                return 0.0
            return failures[0] + self.window - now if len(failures) >= self.limit else 0.0

    def failed(self, peer: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) >= self.MAX_ADDRESSES:  # forget the addresses quiet for a window
                for host in [h for h, f in self._failures.items() if not f or f[-1] <= now - self.window]:
                    del self._failures[host]
            self._failures[_host(peer)].append(now)


def _host(peer: str) -> str:
    """``ipv4:10.0.0.5:53122`` -> ``ipv4:10.0.0.5`` (each connection has its own port);
    ``ipv6:[2001:db8:1:2::7]:53122`` -> its /64."""
    import ipaddress

    address = peer.rsplit(":", 1)[0] if peer.count(":") >= 2 else peer
    if address.startswith("ipv6:["):
        try:
            return "ipv6:" + str(ipaddress.ip_network(address[6:].rstrip("]") + "/64", strict=False))
        except ValueError:
            return address
    return address
