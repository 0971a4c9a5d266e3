"""How much of the gateway one client may hold: open streams per address and per bearer (a token
or a person's session), and
unknown tokens looked up per address.

Under ``grpc.aio`` an open stream costs a coroutine, not a thread, so idle streams no longer
stop the gateway (``guard.py``); these caps keep one client from taking every stream slot or
every watcher, and a flood of random tokens from costing the organisations service a lookup each.
"""
from __future__ import annotations

import ipaddress
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from urllib.parse import unquote


class TooManyStreams(Exception):
    """A cap on open streams is reached; the message says which and what to do."""


class StreamSlots:
    """Open streams: at most ``total``, ``per_address`` per client address and ``per_token`` per
    bearer (``Caller.credential``: a token, or a person's session). Used from the event loop's
    thread only, so it needs no lock."""

    def __init__(self, total: int, per_address: int, per_token: int):
        self.total, self.per_address, self.per_token = total, per_address, per_token
        self._by_address: Counter[str] = Counter()
        self._by_token: Counter[Hashable] = Counter()
        self.open = 0

    @contextmanager
    def hold(self, peer: str, token_id: Hashable | None = None) -> Iterator[None]:
        """One slot for the stream's lifetime; ``TooManyStreams`` when a cap is reached."""
        host = _host(peer)
        if self.open >= self.total:
            raise TooManyStreams(f"the gateway has {self.total} streams open; try again later")
        if self._by_address[host] >= self.per_address:
            raise TooManyStreams(f"your address has {self.per_address} streams open already; close one first")
        if token_id is not None and self._by_token[token_id] >= self.per_token:
            raise TooManyStreams(f"your token (or session) has {self.per_token} streams open already; close one "
                                 "first")
        self._by_address[host] += 1
        if token_id is not None:
            self._by_token[token_id] += 1
        self.open += 1
        try:
            yield
        finally:
            self.open -= 1
            _release(self._by_address, host)
            if token_id is not None:
                _release(self._by_token, token_id)


def _release(counts: Counter, key) -> None:
    counts[key] -= 1
    if counts[key] <= 0:
        del counts[key]


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


def peer_address(peer: str) -> str:
    """The client's address from grpc's peer (``ipv4:10.0.0.5:53122``, ``ipv6:[::1]:53122``,
    perhaps percent-encoded), without the port; anything else as it is."""
    peer = unquote(peer)
    kind, _, rest = peer.partition(":")
    if kind == "ipv4":
        return rest.rsplit(":", 1)[0]
    if kind == "ipv6":
        return rest.rsplit(":", 1)[0].strip("[]") if rest.startswith("[") else rest
    return peer[:64]


def _host(peer: str) -> str:
    """``ipv4:10.0.0.5:53122`` -> ``ipv4:10.0.0.5`` (each connection has its own port);
    ``ipv6:[2001:db8:1:2::7]:53122`` -> its /64."""
    kind, address = peer.partition(":")[0], peer_address(peer)
    if kind == "ipv6":
        try:
            return "ipv6:" + str(ipaddress.ip_network(address + "/64", strict=False))
        except ValueError:
            return f"ipv6:{address}"
    return f"ipv4:{address}" if kind == "ipv4" else address
