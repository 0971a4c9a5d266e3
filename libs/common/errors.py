"""Errors that cross a service boundary, each named for what the caller can do about it.

nameko carries a raised exception to the RPC caller as ``RemoteError`` with ``exc_type`` set to
the class name; the gateway maps those names to gRPC status codes in one table
(``services/gateway/errors.py``). Input errors are ``BadRequest`` with one ``field: what is
wrong`` line per problem, so the gateway can turn them into field violations and the CLI can
print them as they are.
"""
from __future__ import annotations

from nameko.exceptions import BadRequest
from pydantic import ValidationError

# An error answers the client, so it is bounded whatever the input: a request with a thousand
# unknown keys gets the first MAX_VIOLATIONS problems and a count, never a message larger than
# a default gRPC client accepts. Field names come from the schema; a part taken from the input
# (a dict key) is cut and made printable.
MAX_VIOLATIONS = 20
FIELD_PART_MAX = 64
MESSAGE_MAX = 300


def clip(value: object, limit: int = 60) -> str:
    """``value`` printable and at most ``limit`` characters, for echoing input in an error."""
    text = "".join(c if c.isprintable() else "?" for c in str(value))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def describe(exc: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for err in exc.errors(include_input=False, include_url=False):
        field = ".".join(clip(p, FIELD_PART_MAX) for p in err["loc"]) or "<request>"
        out.append((prefix + field.replace(" ", "_"), err["msg"].removeprefix("Value error, ")))
    return out


def bad_request(problems: list[tuple[str, str]]) -> BadRequest:
    """(field, what is wrong) pairs as one BadRequest, in the format ``field_violations`` reads;
    at most MAX_VIOLATIONS of them, each line bounded."""
    lines = [f"{field}: {clip(msg, MESSAGE_MAX)}" for field, msg in problems[:MAX_VIOLATIONS]]
    if len(problems) > MAX_VIOLATIONS:
        lines.append(f"<request>: and {len(problems) - MAX_VIOLATIONS} more problems; fix these first")
    return BadRequest("\n".join(lines))


def invalid(exc: ValidationError) -> BadRequest:
    return bad_request(describe(exc))


def field_violations(message: str) -> list[tuple[str, str]]:
    """Parse a BadRequest (or Conflict) message back into (field, description) pairs."""
    pairs = []
    for line in message.splitlines():
        field, _, desc = line.partition(": ")
        pairs.append((field, desc) if desc and " " not in field else ("<request>", line))
    return pairs


class Conflict(Exception):
    """The request contradicts what is stored (e.g. an external_id reused for other content)."""


class NotFound(Exception):
    """What the request names does not exist (or is not the caller's to see)."""


class PermissionDenied(Exception):
    """The caller's role or organisation may not do this."""


class StaleRevision(Exception):
    """A correction or retraction names a revision that is no longer current: read it again."""


class RequestExpired(Exception):
    """A request that arrived after its caller's deadline (it is not acted on)."""


# what a caller did wrong, not the system: logged in one line at INFO, never with a traceback
CLIENT_ERRORS: tuple[type[Exception], ...] = (BadRequest, Conflict, NotFound, PermissionDenied, StaleRevision,
                                              RequestExpired)
