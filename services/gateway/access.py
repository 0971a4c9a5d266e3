"""Which progress figures and alerts a caller may read: the gateway filters what the
indicators and notifications services answer before it hands anything to a department."""
from __future__ import annotations

from libs.common.access import Caller


def own_scopes(caller: Caller) -> frozenset[str]:
    """The breakdown scopes of the caller's own figures (the indicators service's scope names)."""
    scopes = {f"org:{caller.org}"}
    if caller.is_town:
        scopes.add(f"town:{caller.org}")
    return frozenset(scopes)


def may_read_scope(caller: Caller, scope: str, responsible: list[str] | tuple[str, ...]) -> bool:
    """Progress: its own breakdowns; the region's figure (a scope without a prefix) of the
    indicators it answers for."""
    if caller.is_admin or scope in own_scopes(caller):
        return True
    return ":" not in scope and caller.org in responsible


def may_read_alert(caller: Caller, recipients: list[str]) -> bool:
    return caller.is_admin or caller.org in recipients
