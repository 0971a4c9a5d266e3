from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SubmitPeriodRequest(_message.Message):
    __slots__ = ("period", "nil")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    NIL_FIELD_NUMBER: _ClassVar[int]
    period: str
    nil: bool
    def __init__(self, period: _Optional[str] = ..., nil: _Optional[bool] = ...) -> None: ...

class ListReportingStatusRequest(_message.Message):
    __slots__ = ("year", "org", "state", "page_size", "page_token")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    ORG_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    year: int
    org: str
    state: str
    page_size: int
    page_token: str
    def __init__(self, year: _Optional[int] = ..., org: _Optional[str] = ..., state: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReportingStatusResponse(_message.Message):
    __slots__ = ("year", "periods", "next_page_token")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    PERIODS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    year: int
    periods: _containers.RepeatedCompositeFieldContainer[ReportingPeriod]
    next_page_token: str
    def __init__(self, year: _Optional[int] = ..., periods: _Optional[_Iterable[_Union[ReportingPeriod, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ApprovePeriodRequest(_message.Message):
    __slots__ = ("org", "period")
    ORG_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    org: str
    period: str
    def __init__(self, org: _Optional[str] = ..., period: _Optional[str] = ...) -> None: ...

class ReopenPeriodRequest(_message.Message):
    __slots__ = ("org", "period", "reason")
    ORG_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    org: str
    period: str
    reason: str
    def __init__(self, org: _Optional[str] = ..., period: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ReportingPeriod(_message.Message):
    __slots__ = ("org", "period", "every", "start", "end", "due", "state", "nil", "activities", "submitted_at", "approved_at", "approved_by")
    ORG_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    EVERY_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    NIL_FIELD_NUMBER: _ClassVar[int]
    ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    APPROVED_AT_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    org: str
    period: str
    every: str
    start: str
    end: str
    due: str
    state: str
    nil: bool
    activities: int
    submitted_at: str
    approved_at: str
    approved_by: str
    def __init__(self, org: _Optional[str] = ..., period: _Optional[str] = ..., every: _Optional[str] = ..., start: _Optional[str] = ..., end: _Optional[str] = ..., due: _Optional[str] = ..., state: _Optional[str] = ..., nil: _Optional[bool] = ..., activities: _Optional[int] = ..., submitted_at: _Optional[str] = ..., approved_at: _Optional[str] = ..., approved_by: _Optional[str] = ...) -> None: ...
