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

from typing import NamedTuple

from nameko.exceptions import deserialize_to_instance
from pydantic import ValidationError

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
    """A pydantic error as violations: the field path, pydantic's error type as the code."""
    out = []
    for err in exc.errors(include_input=False, include_url=False):
        field = ".".join(clip(p, FIELD_PART_MAX) for p in err["loc"]) or REQUEST
        out.append(Violation(prefix + field.replace(" ", "_"), err["type"], err["msg"].removeprefix("Value error, ")))
    return out


def bounded(violations: Violations) -> Violations:
    """At most MAX_VIOLATIONS violations (then one saying how many more), each message bounded."""
    kept = [Violation(clip(v.field, 200), v.code, clip(v.message, MESSAGE_MAX)) for v in violations[:MAX_VIOLATIONS]]
    if len(violations) > MAX_VIOLATIONS:
        kept.append(Violation(REQUEST, "too_many_problems",
                              f"and {len(violations) - MAX_VIOLATIONS} more problems; fix these first"))
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
