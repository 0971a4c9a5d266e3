"""The gateway's way into the services: nameko RPC from plain threads, and who a token is.

grpcio cannot run in an eventlet-patched process, so the gateway is an ordinary process and uses
``nameko.standalone`` proxies, which block: the gRPC server's event loop hands every such call
to the backend's own pool of ``KEPU_GRPC_WORKERS`` threads (``run``), one proxy per thread
(they are not thread-safe). Tokens are hashed here and only the hash is sent on the bus; answers are cached
briefly (refusals too, so a flood of bad tokens costs no round trip each), for as long as the
``grpc_*_cache_seconds`` settings say (a revoked token stops working within the token cache's
lifetime; an unknown token stays unknown, since a new token is a new random string). A person's
session is a bearer like a token; signing out drops it from the cache at once (``forget``).
"""
from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import TypeVar

from libs.common.access import Caller, token_hash
from libs.common.rpc import ClusterRpcProxy
from libs.common.settings import Settings
from services.activities.schemas import GroupAnswer
from services.gateway.grouping import ReportGroups
from services.gateway.limits import FailedSignIns
from services.gateway.settings import GatewaySettings

TOKEN_CACHE_SIZE = 10_000
T = TypeVar("T")


class Refused(Exception):
    """The token is unknown, revoked or expired; the message says which and what to do."""


class TooManyFailures(Exception):
    """This address sent too many unknown tokens lately; the message says how long to wait."""


class Backend:
    def __init__(self, settings: Settings, gateway: GatewaySettings):
        self.config = settings.nameko_config()
        self.timeout = gateway.grpc_call_timeout
        self.token_ttl = gateway.grpc_token_cache_seconds
        self.refusal_ttl = gateway.grpc_refusal_cache_seconds
        self.plan_ttl = gateway.grpc_plan_cache_seconds
        self._local = threading.local()
        self._proxies: list[ClusterRpcProxy] = []
        self._lock = threading.Lock()
        self._tokens: OrderedDict[str, tuple[float, Caller | str]] = OrderedDict()
        self._plans: dict[tuple, tuple[float, object]] = {}  # plans and offices' reach, by what was asked
        self._reports = ReportGroups(self._send_reports)
        self._sign_ins = FailedSignIns(gateway.grpc_failed_sign_ins)
        self._pool = ThreadPoolExecutor(gateway.grpc_workers, thread_name_prefix="rpc")
        self._documents: ProcessPoolExecutor | None = None  # started on the first document asked for

    async def run(self, blocking: Callable[..., T], *args) -> T:
        """``blocking(*args)`` in one of the backend's threads, awaited: the event loop never
        waits for a service, and at most ``KEPU_GRPC_WORKERS`` calls do at once."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, blocking, *args)

    def rpc(self):
        """This thread's cluster proxy (started on first use)."""
        proxy = getattr(self._local, "proxy", None)
        if proxy is None:
            holder = ClusterRpcProxy(self.config, timeout=self.timeout)
            proxy = holder.start()
            self._local.proxy = proxy
            with self._lock:
                self._proxies.append(holder)
        return proxy

    def authenticate(self, token: str, peer: str) -> Caller:
        """The caller a bearer token stands for; ``Refused`` with the reason otherwise, or
        ``TooManyFailures`` when ``peer`` (the client's address) has sent too many unknown ones."""
        digest, now = token_hash(token), time.monotonic()
        with self._lock:
            cached = self._tokens.get(digest)
        if cached is not None:
            ttl = self.token_ttl if isinstance(cached[1], Caller) else self.refusal_ttl
            if now - cached[0] < ttl:
                return _caller_or_raise(cached[1])
        # a token that was valid is looked up again whatever the address did (a revocation must
        # show); unknown ones, what a flood of guesses sends, are held back
        known = cached is not None and isinstance(cached[1], Caller)
        wait = 0.0 if known else self._sign_ins.blocked_for(peer)
        if wait > 0:
            raise TooManyFailures(f"too many unknown tokens from your address; try again in {wait:.0f}s "
                                  "with a token from `kepu org token ORG`")
        answer = self.rpc().organisations.authenticate(digest)
        outcome: Caller | str = answer["refused"] if "refused" in answer else Caller.model_validate(answer)
        if not isinstance(outcome, Caller) and not answer.get("known"):
            # a guess; a bearer that existed and ended (an expired session a portal still sends
            # for many people from its one address) is no guess, so it does not count
            self._sign_ins.failed(peer)
        with self._lock:
            self._tokens[digest] = (now, outcome)
            self._tokens.move_to_end(digest)
            while len(self._tokens) > TOKEN_CACHE_SIZE:
                self._tokens.popitem(last=False)
        return _caller_or_raise(outcome)

    def forget(self, token: str) -> None:
        """Drop what is cached of ``token`` (a session just signed out: refused from now on, not
        after the cache's lifetime)."""
        with self._lock:
            self._tokens.pop(token_hash(token), None)

    def report_activity(self, caller: Caller, report: dict, deadline: float) -> dict:
        """One report, sent together with the same caller's concurrent ones (``grouping``). Its
        own refusal is raised as the service would have raised it alone."""
        return GroupAnswer.model_validate(self._reports.report(caller, report, deadline)).result()

    def _send_reports(self, caller: Caller, reports: list[dict], deadline: float) -> list[dict]:
        return self.rpc().activities.record_activity_group(caller.model_dump(), reports, deadline=deadline)

    def plan(self, region: str | None = None, year: int | None = None) -> dict:
        """The plan ``region`` works to in ``year`` (``plan_document``; defaults: the top region, this
        year), cached: `kepu plan reload` shows within ``grpc_plan_cache_seconds``."""
        return self._cached(("plan", region, year), lambda: self.rpc().activities.plan_document(region, year))

    def reach(self, caller: Caller) -> frozenset[str] | None:
        """What an office reads: the codes of every organisation (regions below included) under its
        region, cached like the plan. None for a caller without a region (a system of one region
        from before regions: everything)."""
        if caller.region is None:
            return None
        return self._cached(("reach", caller.region), lambda: frozenset(
            o["code"] for o in self.rpc().organisations.list_orgs_under(caller.region)))

    def _cached(self, key: tuple, load: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            held = self._plans.get(key)
        if held is None or now - held[0] > self.plan_ttl:
            held = (now, load())
            with self._lock:
                self._plans[key] = held
                while len(self._plans) > 256:
                    self._plans.pop(next(iter(self._plans)))
        return held[1]

    def render(self, make: Callable[..., T], *args) -> T:
        """``make(*args)`` in the documents process: laying out a PDF takes the CPU for a second or
        two, which the gateway's own threads (and the GIL they share) must not lose. One process,
        spawned (not forked from a process holding gRPC's threads), kept for the next document."""
        with self._lock:
            if self._documents is None:
                self._documents = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        return self._documents.submit(make, *args).result(timeout=self.timeout * 4)

    def close(self) -> None:
        if self._documents is not None:
            self._documents.shutdown(wait=False, cancel_futures=True)
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            for holder in self._proxies:
                try:
                    holder.stop()
                except Exception:  # noqa: BLE001 - closing on shutdown, nothing to do
                    pass
            self._proxies.clear()


def _caller_or_raise(outcome: Caller | str) -> Caller:
    if isinstance(outcome, Caller):
        return outcome
    raise Refused(outcome)
