"""Limits on everything that enters the system, defined once: the services check requests with
these types and the consumers check events with the same ones, so a forged or old event meets
the rules a request meets.

- A **day** is ``YYYY-MM-DD`` and nothing else (no time, no epoch number, no ``20240501``).
- A **code** names something the plan or an operator defined (an organisation, an activity
  type, a quantity): lower-case ASCII, at most 64 characters. Anything else cannot exist, so
  it is refused as malformed before it is looked up.
- **Text** is capped and free of control characters.
- **Lists** of codes are capped and de-duplicated (the first occurrence kept).
- **Quantities** are finite and not negative; their unit kind and maximum come from the plan
  (``libs.common.plan.schema.Quantity``).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from libs.common.errors import clip

CODE_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
CODE_MAX = 64
CO_ORGANISERS_MAX = 20
QUANTITIES_MAX = 20
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CODE = re.compile(CODE_PATTERN)


def strict_day(value: object) -> object:
    """Only ``YYYY-MM-DD`` text (or a date object from our own code) becomes a date."""
    if isinstance(value, dt.datetime):
        raise ValueError("a day without a time is expected (YYYY-MM-DD)")
    if isinstance(value, dt.date) or (isinstance(value, str) and _DAY.fullmatch(value)):
        return value  # pydantic then checks it is a real calendar day
    raise ValueError(f"{clip(value)!r} is not a day; send YYYY-MM-DD")


def parse_day(value: str) -> dt.date:
    """``strict_day`` for plain code (filters, page tokens); ValueError with the reason."""
    strict_day(value)
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _code(value: str) -> str:
    if not (len(value) <= CODE_MAX and _CODE.match(value)):
        raise ValueError(f"{clip(value)!r} is not a code: lower-case letters, digits, '-', '_' or '.', "
                         f"at most {CODE_MAX} characters")
    return value


def _printable(value: str) -> str:
    bad = next((c for c in value if not c.isprintable()), None)
    if bad is not None:
        raise ValueError(f"contains the control character U+{ord(bad):04X}; send printable text on one line")
    return value


def _unique(values: list) -> list:
    return list(dict.fromkeys(values))


Day = Annotated[dt.date, BeforeValidator(strict_day)]
Code = Annotated[str, AfterValidator(_code)]
CodeList = Annotated[list[Code], Field(max_length=CO_ORGANISERS_MAX), AfterValidator(_unique)]
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Quantities = Annotated[dict[Code, Amount], Field(min_length=1, max_length=QUANTITIES_MAX)]


def text(max_length: int, min_length: int = 0):
    """Printable text of at most ``max_length`` characters."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(_printable)]
