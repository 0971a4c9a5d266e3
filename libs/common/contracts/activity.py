"""What an activity is, written out once.

Every other shape of an activity is derived from these models: the request a department sends
(:class:`ActivityReport`), the stored activity the services answer with (:class:`ActivityRecord`),
the event the indicators count (:class:`ActivityFacts` in ``libs.common.events``), the gateway's
proto mapping (by field name), the spreadsheet's columns (by each field's ``title``) and the CLI's
options. Adding a field means adding it here, to the ORM model and its migration, and to proto.

The layers:
- :class:`ActivityFacts` — what the counting needs (type, town, target group, days, quantities);
- :class:`ActivityContent` — what a department says about it (the facts plus title and
  co-organisers): what a correction replaces, and what tells a resend from a conflict;
- :class:`ActivityReport` — the content as sent, with the sender's own id for safe retries;
- :class:`ActivityRecord` — the content as stored, at its current revision.
"""
from __future__ import annotations

import datetime as dt
import types as types_module
import typing
from typing import Any

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from typing_extensions import Annotated

from libs.common.bounds import Amount, Code, CodeList, Day, Quantities, text
from libs.common.target_groups import TargetGroup
from libs.common.wording import day

TITLE_MAX = 300
EXTERNAL_ID_MAX = 128
REASON_MAX = 500


class ActivityFacts(BaseModel):
    """The facts of an activity that indicators count. Field order is the order people fill them
    in (the spreadsheet's columns); each ``title`` is the Chinese label people read."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    activity_type: Code = Field(title="活动类型", description="Code of an activity type from the plan.")
    start_date: Day = Field(title="开始日期", description="First day, YYYY-MM-DD.")
    end_date: Day | None = Field(None, title="结束日期", description="Last day; empty: the start date.")
    town: Code | None = Field(None, title="镇（园区）", description="Code of a registered town where it took place.")
    target_group: TargetGroup | None = Field(None, title="对象人群", description="Who it was for.")
    quantities: dict[Code, Amount] = Field(title="数量", description="Quantity code -> amount.")

    @field_validator("end_date")
    @classmethod
    def _not_before_start(cls, end: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("start_date")
        if end is not None and start is not None and end < start:
            raise ValueError(f"结束日期 {day(end)} 早于开始日期 {day(start)}；一天的活动可不填结束日期")
        return end

    @model_validator(mode="after")
    def _default_end(self) -> "ActivityFacts":
        if self.end_date is None:
            self.end_date = self.start_date
        return self


class ActivityContent(ActivityFacts):
    """What a department says about an activity: the facts, a title and its co-organisers."""

    title: text(TITLE_MAX) = Field("", title="活动名称", description=f"Free text, at most {TITLE_MAX} characters.")
    co_organisers: CodeList = Field([], title="协办单位", description="Codes of co-organising organisations.")
    quantities: Quantities = Field(title="数量", description="Quantity code -> amount, e.g. sessions=3.")

    def content(self) -> "ActivityContent":
        """Only the content (a report or a record without its ids), to compare two of them."""
        return ActivityContent.model_validate(self.model_dump(include=set(ActivityContent.model_fields)))


class ActivityReport(ActivityContent):
    """One activity as a department system sends it."""

    external_id: text(EXTERNAL_ID_MAX, min_length=1) | None = Field(
        None, title="编号", description="The sender's own id: resending it is safe, the activity counts once.")


def _iso(value: Any) -> Any:
    """Times as the API has always shown them (``datetime.isoformat``, RFC 3339)."""
    return value.isoformat() if isinstance(value, dt.datetime) else value


IsoTime = Annotated[str | None, BeforeValidator(_iso)]


class ActivityRecord(ActivityContent):
    """A stored activity at its current revision (read from the ORM row by attribute)."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    activity_id: str = Field(validation_alias=AliasChoices("activity_id", "id"))
    org: str
    external_id: str | None = None
    revision: int
    retracted: bool = False
    retract_reason: str | None = None
    created_at: IsoTime = None
    updated_at: IsoTime = None

    def rpc(self) -> dict:
        """As an RPC answer, an audit snapshot or a JSON document: days as YYYY-MM-DD text."""
        return self.model_dump(mode="json")


def value_kind(name: str) -> str:
    """What a report field holds, for forms that read it from text (a sheet's cell, a CLI option):
    ``day``, ``list`` (of codes) or ``text``."""
    def types(annotation) -> list:  # through Optional and Annotated to the types themselves
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            return types(typing.get_args(annotation)[0])
        if origin in (typing.Union, types_module.UnionType):
            return [t for arg in typing.get_args(annotation) for t in types(arg)]
        return [origin or annotation]

    found = types(ActivityReport.model_fields[name].annotation)
    if list in found:
        return "list"
    return "day" if any(isinstance(t, type) and issubclass(t, dt.date) for t in found) else "text"


CONTENT_FIELDS: tuple[str, ...] = tuple(ActivityContent.model_fields)
REPORT_FIELDS: tuple[str, ...] = tuple(ActivityReport.model_fields)
# a spreadsheet's columns, in the order people fill them in (the quantities follow, one column
# each); the header of each is the field's title
SHEET_COLUMNS: tuple[str, ...] = ("external_id", "activity_type", "title", "start_date", "end_date", "town",
                                  "target_group", "co_organisers")
# what identifies a spreadsheet row without an id of its own: its generated external_id hashes
# these fields in this order (co-organisers after them). Never change it: a sheet imported
# again after the change would get new ids and count twice.
SHEET_IDENTITY: tuple[str, ...] = ("activity_type", "title", "start_date", "end_date", "town", "target_group")
