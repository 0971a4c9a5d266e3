"""Which progress figures and alerts a caller may read: the gateway filters what the
indicators and notifications services answer before it hands anything to a department."""
from __future__ import annotations

from collections.abc import Callable

from libs.common.access import Caller
from libs.common.errors import PermissionDenied, clip


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


def may_read_alert(caller: Caller, recipients: list[str], reach: frozenset[str] | None = None) -> bool:
    """An office reads the alerts of its region and those below (one addressed to anyone there);
    anyone else those addressed to it."""
    if caller.is_admin:
        return reach is None or any(r in reach for r in recipients)
    return caller.org in recipients


def region_to_read(caller: Caller, requested: str, reach: Callable[[], frozenset[str] | None]) -> str | None:
    """The region a progress read is about: the one asked for, if the caller may read it (an office:
    its region and those below, ``reach()``, asked only then; anyone else: its own region), else its
    own (None: the top one)."""
    if not requested or requested == caller.region:
        return caller.region
    if caller.is_admin and ((within := reach()) is None or requested in within):
        return requested
    raise PermissionDenied(f"region: 「{clip(requested)}」不在你的单位所在地区（{caller.region or '本地区'}）之内；"
                           "科协办公室可查看本地区及下级地区")
