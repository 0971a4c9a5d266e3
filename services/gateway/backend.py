"""The gateway's way into the services: nameko RPC from plain threads.

grpcio cannot run in an eventlet-patched process, so the gateway is an ordinary threaded
process and uses ``nameko.standalone`` proxies, one per gRPC worker thread (they are not
thread-safe). Token look-ups are cached briefly to spare a round trip per call.
"""
from __future__ import annotations

import threading
import time

from nameko.standalone.rpc import ClusterRpcProxy

from libs.common.settings import Settings

TOKEN_CACHE_SECONDS = 5.0  # a revoked token stops working within this time


class Backend:
    def __init__(self, settings: Settings, timeout: float = 15.0):
        self.config = settings.nameko_config()
        self.timeout = timeout
        self._local = threading.local()
        self._proxies: list[ClusterRpcProxy] = []
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[float, dict | None]] = {}

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

    def authenticate(self, token: str) -> dict | None:
        now = time.monotonic()
        cached = self._tokens.get(token)
        if cached and now - cached[0] < TOKEN_CACHE_SECONDS:
            return cached[1]
        org = self.rpc().organisations.authenticate(token)
        if org is not None:  # never cache a miss: a token issued a second ago must work
            self._tokens[token] = (now, org)
        return org

    def close(self) -> None:
        with self._lock:
            for holder in self._proxies:
                try:
                    holder.stop()
                except Exception:  # noqa: BLE001 - closing on shutdown, nothing to do
                    pass
            self._proxies.clear()
