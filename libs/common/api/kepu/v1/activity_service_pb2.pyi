from libs.common.api.kepu.v1 import resources_pb2 as _resources_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReportActivityRequest(_message.Message):
    __slots__ = ("activity_type", "title", "external_id", "town", "target_group", "co_organisers", "start_date", "end_date", "quantities")
    class QuantitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    ACTIVITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    TOWN_FIELD_NUMBER: _ClassVar[int]
    TARGET_GROUP_FIELD_NUMBER: _ClassVar[int]
    CO_ORGANISERS_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    QUANTITIES_FIELD_NUMBER: _ClassVar[int]
    activity_type: str
    title: str
    external_id: str
    town: str
    target_group: str
    co_organisers: _containers.RepeatedScalarFieldContainer[str]
    start_date: str
    end_date: str
    quantities: _containers.ScalarMap[str, float]
    def __init__(self, activity_type: _Optional[str] = ..., title: _Optional[str] = ..., external_id: _Optional[str] = ..., town: _Optional[str] = ..., target_group: _Optional[str] = ..., co_organisers: _Optional[_Iterable[str]] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., quantities: _Optional[_Mapping[str, float]] = ...) -> None: ...

class ReportActivityResponse(_message.Message):
    __slots__ = ("activity", "created")
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    activity: _resources_pb2.Activity
    created: bool
    def __init__(self, activity: _Optional[_Union[_resources_pb2.Activity, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class ReportActivitiesRequest(_message.Message):
    __slots__ = ("rows", "mode", "validate_only", "correct_changed")
    class Mode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        ALL_OR_NOTHING: _ClassVar[ReportActivitiesRequest.Mode]
        SKIP_INVALID: _ClassVar[ReportActivitiesRequest.Mode]
    ALL_OR_NOTHING: ReportActivitiesRequest.Mode
    SKIP_INVALID: ReportActivitiesRequest.Mode
    ROWS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    CORRECT_CHANGED_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ActivityReport]
    mode: ReportActivitiesRequest.Mode
    validate_only: bool
    correct_changed: bool
    def __init__(self, rows: _Optional[_Iterable[_Union[_resources_pb2.ActivityReport, _Mapping]]] = ..., mode: _Optional[_Union[ReportActivitiesRequest.Mode, str]] = ..., validate_only: _Optional[bool] = ..., correct_changed: _Optional[bool] = ...) -> None: ...

class RowResult(_message.Message):
    __slots__ = ("index", "outcome", "activity", "violations")
    class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OUTCOME_UNSPECIFIED: _ClassVar[RowResult.Outcome]
        CREATED: _ClassVar[RowResult.Outcome]
        UNCHANGED: _ClassVar[RowResult.Outcome]
        CORRECTED: _ClassVar[RowResult.Outcome]
        INVALID: _ClassVar[RowResult.Outcome]
        CONFLICT: _ClassVar[RowResult.Outcome]
    OUTCOME_UNSPECIFIED: RowResult.Outcome
    CREATED: RowResult.Outcome
    UNCHANGED: RowResult.Outcome
    CORRECTED: RowResult.Outcome
    INVALID: RowResult.Outcome
    CONFLICT: RowResult.Outcome
    INDEX_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    index: int
    outcome: RowResult.Outcome
    activity: _resources_pb2.Activity
    violations: _containers.RepeatedCompositeFieldContainer[_resources_pb2.FieldViolation]
    def __init__(self, index: _Optional[int] = ..., outcome: _Optional[_Union[RowResult.Outcome, str]] = ..., activity: _Optional[_Union[_resources_pb2.Activity, _Mapping]] = ..., violations: _Optional[_Iterable[_Union[_resources_pb2.FieldViolation, _Mapping]]] = ...) -> None: ...

class ReportActivitiesResponse(_message.Message):
    __slots__ = ("results", "created", "unchanged", "corrected", "invalid", "conflicts", "stored")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    CORRECTED_FIELD_NUMBER: _ClassVar[int]
    INVALID_FIELD_NUMBER: _ClassVar[int]
    CONFLICTS_FIELD_NUMBER: _ClassVar[int]
    STORED_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[RowResult]
    created: int
    unchanged: int
    corrected: int
    invalid: int
    conflicts: int
    stored: bool
    def __init__(self, results: _Optional[_Iterable[_Union[RowResult, _Mapping]]] = ..., created: _Optional[int] = ..., unchanged: _Optional[int] = ..., corrected: _Optional[int] = ..., invalid: _Optional[int] = ..., conflicts: _Optional[int] = ..., stored: _Optional[bool] = ...) -> None: ...

class CorrectActivityRequest(_message.Message):
    __slots__ = ("activity_id", "revision", "content", "reason")
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    activity_id: str
    revision: int
    content: _resources_pb2.ActivityReport
    reason: str
    def __init__(self, activity_id: _Optional[str] = ..., revision: _Optional[int] = ..., content: _Optional[_Union[_resources_pb2.ActivityReport, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class CorrectActivityResponse(_message.Message):
    __slots__ = ("activity",)
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    activity: _resources_pb2.Activity
    def __init__(self, activity: _Optional[_Union[_resources_pb2.Activity, _Mapping]] = ...) -> None: ...

class RetractActivityRequest(_message.Message):
    __slots__ = ("activity_id", "revision", "reason")
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    activity_id: str
    revision: int
    reason: str
    def __init__(self, activity_id: _Optional[str] = ..., revision: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class RetractActivityResponse(_message.Message):
    __slots__ = ("activity",)
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    activity: _resources_pb2.Activity
    def __init__(self, activity: _Optional[_Union[_resources_pb2.Activity, _Mapping]] = ...) -> None: ...

class GetActivityRequest(_message.Message):
    __slots__ = ("activity_id",)
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    activity_id: str
    def __init__(self, activity_id: _Optional[str] = ...) -> None: ...

class ListActivitiesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "activity_type", "start_date_from", "start_date_to", "town", "org", "include_retracted")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FROM_FIELD_NUMBER: _ClassVar[int]
    START_DATE_TO_FIELD_NUMBER: _ClassVar[int]
    TOWN_FIELD_NUMBER: _ClassVar[int]
    ORG_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_RETRACTED_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    activity_type: str
    start_date_from: str
    start_date_to: str
    town: str
    org: str
    include_retracted: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., activity_type: _Optional[str] = ..., start_date_from: _Optional[str] = ..., start_date_to: _Optional[str] = ..., town: _Optional[str] = ..., org: _Optional[str] = ..., include_retracted: _Optional[bool] = ...) -> None: ...

class ListActivitiesResponse(_message.Message):
    __slots__ = ("activities", "next_page_token")
    ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    activities: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Activity]
    next_page_token: str
    def __init__(self, activities: _Optional[_Iterable[_Union[_resources_pb2.Activity, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetActivityHistoryRequest(_message.Message):
    __slots__ = ("activity_id",)
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    activity_id: str
    def __init__(self, activity_id: _Optional[str] = ...) -> None: ...

class GetActivityHistoryResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[_resources_pb2.AuditEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[_resources_pb2.AuditEntry, _Mapping]]] = ...) -> None: ...
