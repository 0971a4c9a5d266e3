"""Errors that cross a service boundary, each named for what the caller can do about it.

A refusal is data, from the rule that found it to the client: a list of :class:`Violation`
(field path, code, message), carried as the exception's arguments. nameko sends those
arguments with the error, and the classes here are registered with nameko's
``deserialize_to_instance``, so an RPC caller (the gateway, ``kepu``) gets the same exception
back with the same violations: nothing is flattened into text and parsed back. The gateway maps
each class to a gRPC status in one table (``services/gateway/errors.py``) and sends the
violations as ``google.rpc.BadRequest`` field violations (``field``, ``reason`` = the code,
``description`` = the message).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from nameko.exceptions import deserialize_to_instance
from pydantic import ValidationError

from libs.common.target_groups import TARGET_GROUP_NAMES
from libs.common.wording import DAY_HINT, number

# An error answers the client, so it is bounded whatever the input: a request with a thousand
# unknown keys gets the first MAX_VIOLATIONS problems and a count, never a message larger than
# a default gRPC client accepts. Field names come from the schema; a part taken from the input
# (a dict key) is cut and made printable.
MAX_VIOLATIONS = 20
FIELD_PART_MAX = 64
MESSAGE_MAX = 300
REQUEST = "<request>"  # the field of a problem with the request as a whole


def clip(value: object, limit: int = 60) -> str:
    """``value`` printable and at most ``limit`` characters, for echoing input in an error."""
    text = "".join(c if c.isprintable() else "?" for c in str(value))
    return text if len(text) <= limit else text[:limit - 1] + "…"


class Violation(NamedTuple):
    """One thing wrong with a request: where (a field path such as ``rows[3].quantities.sessions``),
    what kind of problem (a stable code for programs, e.g. ``missing``, ``unknown_town``), and
    what to do (a message for people)."""

    field: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def under(self, prefix: str) -> "Violation":
        """The same problem, one level down: ``rows[3].`` + field."""
        return self._replace(field=prefix + self.field)


Violations = list[Violation]


def describe(exc: ValidationError, prefix: str = "") -> Violations:
    """A pydantic error as violations: the field path, pydantic's error type as the code, and a
    message in Chinese for the person who filled the field in (:func:`message_of`)."""
    out = []
    for err in exc.errors(include_input=False, include_url=False):
        field = ".".join(clip(p, FIELD_PART_MAX) for p in err["loc"]) or REQUEST
        out.append(Violation(prefix + field.replace(" ", "_"), err["type"], message_of(err)))
    return out


def _allowed(expected: str) -> str:
    """A Literal's values ("'youth', 'farmers' or 'public'") as a person reads them: 青少年（youth）、…"""
    values = re.findall(r"'([^']*)'", expected) or [expected]
    return "、".join(f"{TARGET_GROUP_NAMES[v]}（{v}）" if v in TARGET_GROUP_NAMES else v for v in values)


def _at_least(n: int) -> str:
    return "不能为空" if n == 1 else f"至少{n}个字符"


# pydantic error type -> the message, from the error's ctx (the limits of the field)
_MESSAGES: dict[str, Callable[[dict], str]] = {
    "missing": lambda c: "必填",
    "extra_forbidden": lambda c: "不认识的字段，请删去",
    "string_type": lambda c: "应为文字",
    "string_too_long": lambda c: f"不能超过{c['max_length']}个字符",
    "string_too_short": lambda c: _at_least(c["min_length"]),
    "string_pattern_mismatch": lambda c: f"格式不对，应符合 {c['pattern']}",
    "date_type": lambda c: DAY_HINT,
    "date_parsing": lambda c: DAY_HINT,
    "date_from_datetime_parsing": lambda c: ("没有这一天；" if "outside expected range" in str(c.get("error"))
                                             else "") + DAY_HINT,
    "date_from_datetime_inexact": lambda c: "只填日期，不带时间；" + DAY_HINT,
    "greater_than_equal": lambda c: "不能是负数" if c["ge"] == 0 else f"不能小于{number(c['ge'], 6)}",
    "greater_than": lambda c: f"应大于{number(c['gt'], 6)}",
    "less_than_equal": lambda c: f"不能大于{number(c['le'], 6)}",
    "less_than": lambda c: f"应小于{number(c['lt'], 6)}",
    "int_type": lambda c: "应为整数",
    "int_parsing": lambda c: "应为整数",
    "int_from_float": lambda c: "应为整数，不能有小数",
    "float_type": lambda c: "应为数字",
    "float_parsing": lambda c: "应为数字",
    "finite_number": lambda c: "应为普通的数字（不能是无穷大或非数值）",
    "bool_type": lambda c: "应为是或否（true / false）",
    "bool_parsing": lambda c: "应为是或否（true / false）",
    "literal_error": lambda c: f"不是可选的值；可选：{_allowed(c['expected'])}",
    "enum": lambda c: f"不是可选的值；可选：{_allowed(c['expected'])}",
    "too_short": lambda c: "至少填写一项" if c["min_length"] == 1 else f"至少填写{c['min_length']}项",
    "too_long": lambda c: f"最多{c['max_length']}项",
    "list_type": lambda c: "应为列表（多个值）",
    "dict_type": lambda c: "应为“代码 → 数值”的对应表",
    "model_type": lambda c: "应为一组字段（对象）",
    "model_attributes_type": lambda c: "应为一组字段（对象）",
    "value_error": lambda c: str(c["error"]),
    "assertion_error": lambda c: str(c["error"]),
}


def message_of(err: dict) -> str:
    """A pydantic error (``ValidationError.errors()`` item) in Chinese: what is wrong with the field
    and how to fill it in, from its type and ctx. A ``value_error`` is the message of the rule that
    raised it (written in Chinese at its source). A rare type keeps pydantic's own message."""
    write = _MESSAGES.get(err["type"])
    if write is not None:
        try:
            return write(err.get("ctx") or {})
        except (KeyError, TypeError, ValueError):
            pass  # a ctx without what the message needs: pydantic's own words
    return err["msg"].removeprefix("Value error, ")


def bounded(violations: Violations) -> Violations:
    """At most MAX_VIOLATIONS violations (then one saying how many more), each message bounded."""
    kept = [Violation(clip(v.field, 200), v.code, clip(v.message, MESSAGE_MAX)) for v in violations[:MAX_VIOLATIONS]]
    if len(violations) > MAX_VIOLATIONS:
        kept.append(Violation(REQUEST, "too_many_problems",
                              f"另有{len(violations) - MAX_VIOLATIONS}处问题未列出；请先改正以上问题"))
    return kept


class ClientError(Exception):
    """What the caller did wrong, not the system: logged as one INFO line, never with a traceback."""

    def __str__(self) -> str:
        return self.args[0] if self.args else ""


class Refusal(ClientError):
    """A request refused field by field. Built from violations (or [field, code, message] lists,
    as they arrive from another process); ``str()`` is one ``field: message`` line each."""

    def __init__(self, violations: list) -> None:
        self.violations: Violations = bounded([Violation(*v) for v in violations])
        super().__init__([list(v) for v in self.violations])

    def __str__(self) -> str:
        return "\n".join(str(v) for v in self.violations)

    @classmethod
    def of(cls, field: str, code: str, message: str) -> "Refusal":
        return cls([Violation(field, code, message)])


@deserialize_to_instance
class BadRequest(Refusal):
    """The request is malformed or breaks a rule; each violation names the field."""


@deserialize_to_instance
class Conflict(Refusal):
    """The request contradicts what is stored (e.g. an external_id reused for other content)."""


@deserialize_to_instance
class Locked(Refusal):
    """A report, correction or retraction dated in a period the office approved (审核/锁定): refused
    until an admin reopens the period; each violation names the approval."""


@deserialize_to_instance
class NotFound(ClientError):
    """What the request names does not exist (or is not the caller's to see)."""


@deserialize_to_instance
class PermissionDenied(ClientError):
    """The caller's role or organisation may not do this."""


@deserialize_to_instance
class StaleRevision(ClientError):
    """A correction or retraction names a revision that is no longer current: read it again."""


@deserialize_to_instance
class Unauthenticated(ClientError):
    """Wrong account name or password, or a credential that no longer works; the message says
    what to do (and, for a sign-in, never which of name and password was wrong)."""


@deserialize_to_instance
class TooManyAttempts(ClientError):
    """Too many failed sign-ins for an account or from an address lately; the message says how
    long to wait. A right password is refused too until then."""


@deserialize_to_instance
class FailedPrecondition(ClientError):
    """The request does not fit the caller's state (signing out with a system's token, which is
    no session); the message says what would."""


@deserialize_to_instance
class RequestExpired(ClientError):
    """A request that arrived after its caller's deadline (it is not acted on)."""


def invalid(exc: ValidationError, prefix: str = "") -> BadRequest:
    return BadRequest(describe(exc, prefix))


# what a caller did wrong, not the system (``libs.common.rpc`` tells nameko to expect them)
CLIENT_ERRORS: tuple[type[Exception], ...] = (ClientError,)
