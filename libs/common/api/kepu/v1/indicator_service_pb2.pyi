from libs.common.api.kepu.v1 import resources_pb2 as _resources_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetProgressRequest(_message.Message):
    __slots__ = ("indicator", "scope")
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    indicator: str
    scope: str
    def __init__(self, indicator: _Optional[str] = ..., scope: _Optional[str] = ...) -> None: ...

class GetProgressResponse(_message.Message):
    __slots__ = ("windows",)
    WINDOWS_FIELD_NUMBER: _ClassVar[int]
    windows: _containers.RepeatedCompositeFieldContainer[_resources_pb2.WindowProgress]
    def __init__(self, windows: _Optional[_Iterable[_Union[_resources_pb2.WindowProgress, _Mapping]]] = ...) -> None: ...

class ListProgressRequest(_message.Message):
    __slots__ = ("year", "indicator", "targets_only", "page_size", "page_token", "region")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    TARGETS_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    year: int
    indicator: str
    targets_only: bool
    page_size: int
    page_token: str
    region: str
    def __init__(self, year: _Optional[int] = ..., indicator: _Optional[str] = ..., targets_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., region: _Optional[str] = ...) -> None: ...

class IndicatorProgress(_message.Message):
    __slots__ = ("indicator", "name", "kind", "window", "unit", "target", "total", "by_org", "by_town", "by_region")
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    BY_ORG_FIELD_NUMBER: _ClassVar[int]
    BY_TOWN_FIELD_NUMBER: _ClassVar[int]
    BY_REGION_FIELD_NUMBER: _ClassVar[int]
    indicator: str
    name: str
    kind: str
    window: str
    unit: str
    target: float
    total: _resources_pb2.WindowProgress
    by_org: _containers.RepeatedCompositeFieldContainer[_resources_pb2.WindowProgress]
    by_town: _containers.RepeatedCompositeFieldContainer[_resources_pb2.WindowProgress]
    by_region: _containers.RepeatedCompositeFieldContainer[_resources_pb2.WindowProgress]
    def __init__(self, indicator: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[str] = ..., window: _Optional[str] = ..., unit: _Optional[str] = ..., target: _Optional[float] = ..., total: _Optional[_Union[_resources_pb2.WindowProgress, _Mapping]] = ..., by_org: _Optional[_Iterable[_Union[_resources_pb2.WindowProgress, _Mapping]]] = ..., by_town: _Optional[_Iterable[_Union[_resources_pb2.WindowProgress, _Mapping]]] = ..., by_region: _Optional[_Iterable[_Union[_resources_pb2.WindowProgress, _Mapping]]] = ...) -> None: ...

class ListProgressResponse(_message.Message):
    __slots__ = ("year", "indicators", "next_page_token", "region", "plan")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    year: int
    indicators: _containers.RepeatedCompositeFieldContainer[IndicatorProgress]
    next_page_token: str
    region: str
    plan: str
    def __init__(self, year: _Optional[int] = ..., indicators: _Optional[_Iterable[_Union[IndicatorProgress, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., region: _Optional[str] = ..., plan: _Optional[str] = ...) -> None: ...

class WatchStatusChangesRequest(_message.Message):
    __slots__ = ("indicator",)
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    indicator: str
    def __init__(self, indicator: _Optional[str] = ...) -> None: ...
