"""Input errors that name the field, carried over RPC as nameko ``BadRequest``.

The message is ``field: what is wrong`` per line, so the gateway can turn it into gRPC
field violations and the CLI can print it as is.
"""
from __future__ import annotations

from nameko.exceptions import BadRequest
from pydantic import ValidationError


def describe(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "<request>"
        out.append((field, err["msg"].removeprefix("Value error, ")))
    return out


def bad_request(problems: list[tuple[str, str]]) -> BadRequest:
    """(field, what is wrong) pairs as one BadRequest, in the format ``field_violations`` reads."""
    return BadRequest("\n".join(f"{field}: {msg}" for field, msg in problems))


def invalid(exc: ValidationError) -> BadRequest:
    return bad_request(describe(exc))


def field_violations(message: str) -> list[tuple[str, str]]:
    """Parse a BadRequest message back into (field, description) pairs."""
    pairs = []
    for line in message.splitlines():
        field, _, desc = line.partition(": ")
        pairs.append((field, desc) if desc else ("<request>", line))
    return pairs


class Conflict(Exception):
    """The request contradicts what is stored (e.g. an external_id reused for other content).

    Raised in services; reaches callers as a nameko ``RemoteError`` with ``exc_type`` "Conflict".
    """
