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
from libs.common.wording import DAY_HINT

CODE_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
CODE_MAX = 64
CO_ORGANISERS_MAX = 20
QUANTITIES_MAX = 20
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CODE = re.compile(CODE_PATTERN)


def strict_day(value: object) -> object:
    """Only ``YYYY-MM-DD`` text (or a date object from our own code) becomes a date."""
    if isinstance(value, dt.datetime):
        raise ValueError(f"只填日期，不带时间；{DAY_HINT}")
    if isinstance(value, dt.date) or (isinstance(value, str) and _DAY.fullmatch(value)):
        return value  # pydantic then checks it is a real calendar day
    if value == "":
        raise ValueError(f"日期为空；{DAY_HINT}")
    raise ValueError(f"「{clip(value)}」不是日期；{DAY_HINT}")


def parse_day(value: str) -> dt.date:
    """``strict_day`` for plain code (filters, page tokens); ValueError with the reason."""
    strict_day(value)
    try:
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"「{clip(value)}」：没有这一天；{DAY_HINT}") from None


def _code(value: str) -> str:
    if not (len(value) <= CODE_MAX and _CODE.match(value)):
        what = "代码为空" if value == "" else f"「{clip(value)}」不是代码"
        raise ValueError(f"{what}；代码只用小写英文字母、数字和 - _ .，最多{CODE_MAX}个字符，例如 caravan_tour")
    return value


def _printable(value: str) -> str:
    bad = next((c for c in value if not c.isprintable()), None)
    if bad is not None:
        raise ValueError(f"含有{control_name(bad)}；请写成一行可打印的文字")
    return value


def control_name(char: str) -> str:
    """A control character as a person knows it: 换行, 制表符, or its code point."""
    return {"\n": "换行", "\r": "回车符", "\t": "制表符"}.get(char, f"控制字符 U+{ord(char):04X}")


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
