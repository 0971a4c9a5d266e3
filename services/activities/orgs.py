"""What activities knows of organisations: their kinds, asked of the organisations service and
kept for a minute (towns are registered, never deleted, so a stale entry only delays a new one)."""
from __future__ import annotations

import time
from collections.abc import Callable

from nameko.extensions import DependencyProvider

CACHE_SECONDS = 60.0


class OrgKindsCache:
    def __init__(self, ttl: float = CACHE_SECONDS):
        self.ttl = ttl
        self._kinds: dict[str, tuple[str, float]] = {}

    def kinds(self, codes: list[str], fetch: Callable[[list[str]], dict[str, str]]) -> dict[str, str]:
        """Kinds of the named organisations that exist; unknown or stale ones fetched in one call."""
        now = time.monotonic()
        missing = [c for c in codes if c not in self._kinds or now - self._kinds[c][1] > self.ttl]
        if missing:
            for code, kind in fetch(missing).items():
                self._kinds[code] = (kind, now)
        return {c: self._kinds[c][0] for c in codes if c in self._kinds}


class OrgKindsCacheProvider(DependencyProvider):
    """Gives each service container its own ``OrgKindsCache`` (not a module global: tests start
    several containers)."""

    def setup(self) -> None:
        self.cache = OrgKindsCache()

    def get_dependency(self, worker_ctx) -> OrgKindsCache:
        return self.cache
