"""A ``health`` RPC every service answers, used by the supervisor and operators to probe."""
from __future__ import annotations

from libs.common.rpc import rpc


class HealthMixin:
    name: str

    @rpc
    def health(self) -> dict:
        return {"service": self.name, "ok": True}
