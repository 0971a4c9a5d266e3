from google.protobuf.internal import containers as _containers
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

class Activity(_message.Message):
    __slots__ = ("activity_id", "org", "revision", "activity_type", "title", "external_id", "town", "target_group", "start_date", "end_date", "quantities")
    class QuantitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    TOWN_FIELD_NUMBER: _ClassVar[int]
    TARGET_GROUP_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    QUANTITIES_FIELD_NUMBER: _ClassVar[int]
    activity_id: str
    org: str
    revision: int
    activity_type: str
    title: str
    external_id: str
    town: str
    target_group: str
    start_date: str
    end_date: str
    quantities: _containers.ScalarMap[str, float]
    def __init__(self, activity_id: _Optional[str] = ..., org: _Optional[str] = ..., revision: _Optional[int] = ..., activity_type: _Optional[str] = ..., title: _Optional[str] = ..., external_id: _Optional[str] = ..., town: _Optional[str] = ..., target_group: _Optional[str] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., quantities: _Optional[_Mapping[str, float]] = ...) -> None: ...

class ReportActivityResponse(_message.Message):
    __slots__ = ("activity", "created")
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    activity: Activity
    created: bool
    def __init__(self, activity: _Optional[_Union[Activity, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetProgressRequest(_message.Message):
    __slots__ = ("indicator", "scope")
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    indicator: str
    scope: str
    def __init__(self, indicator: _Optional[str] = ..., scope: _Optional[str] = ...) -> None: ...

class WindowProgress(_message.Message):
    __slots__ = ("indicator", "name", "kind", "window", "scope", "actual", "expected", "target", "unit", "status", "as_of")
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    ACTUAL_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    indicator: str
    name: str
    kind: str
    window: str
    scope: str
    actual: float
    expected: float
    target: float
    unit: str
    status: str
    as_of: str
    def __init__(self, indicator: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[str] = ..., window: _Optional[str] = ..., scope: _Optional[str] = ..., actual: _Optional[float] = ..., expected: _Optional[float] = ..., target: _Optional[float] = ..., unit: _Optional[str] = ..., status: _Optional[str] = ..., as_of: _Optional[str] = ...) -> None: ...

class GetProgressResponse(_message.Message):
    __slots__ = ("windows",)
    WINDOWS_FIELD_NUMBER: _ClassVar[int]
    windows: _containers.RepeatedCompositeFieldContainer[WindowProgress]
    def __init__(self, windows: _Optional[_Iterable[_Union[WindowProgress, _Mapping]]] = ...) -> None: ...
