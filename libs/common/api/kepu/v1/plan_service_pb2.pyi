from libs.common.api.kepu.v1 import resources_pb2 as _resources_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetPlanRequest(_message.Message):
    __slots__ = ("region", "year")
    REGION_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    region: str
    year: int
    def __init__(self, region: _Optional[str] = ..., year: _Optional[int] = ...) -> None: ...

class Plan(_message.Message):
    __slots__ = ("code", "title", "region_code", "region_name", "period_start", "period_end", "quantities", "activity_types", "sections", "indicators", "target_groups", "organisations", "region_level", "parent_region", "children", "succession", "status")
    CODE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    REGION_NAME_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    QUANTITIES_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TYPES_FIELD_NUMBER: _ClassVar[int]
    SECTIONS_FIELD_NUMBER: _ClassVar[int]
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    TARGET_GROUPS_FIELD_NUMBER: _ClassVar[int]
    ORGANISATIONS_FIELD_NUMBER: _ClassVar[int]
    REGION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    PARENT_REGION_FIELD_NUMBER: _ClassVar[int]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    SUCCESSION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    code: str
    title: str
    region_code: str
    region_name: str
    period_start: int
    period_end: int
    quantities: _containers.RepeatedCompositeFieldContainer[Quantity]
    activity_types: _containers.RepeatedCompositeFieldContainer[ActivityType]
    sections: _containers.RepeatedCompositeFieldContainer[Section]
    indicators: _containers.RepeatedCompositeFieldContainer[Indicator]
    target_groups: _containers.RepeatedCompositeFieldContainer[TargetGroup]
    organisations: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Organisation]
    region_level: str
    parent_region: str
    children: _containers.RepeatedCompositeFieldContainer[RegionRef]
    succession: _containers.RepeatedCompositeFieldContainer[PlanRef]
    status: str
    def __init__(self, code: _Optional[str] = ..., title: _Optional[str] = ..., region_code: _Optional[str] = ..., region_name: _Optional[str] = ..., period_start: _Optional[int] = ..., period_end: _Optional[int] = ..., quantities: _Optional[_Iterable[_Union[Quantity, _Mapping]]] = ..., activity_types: _Optional[_Iterable[_Union[ActivityType, _Mapping]]] = ..., sections: _Optional[_Iterable[_Union[Section, _Mapping]]] = ..., indicators: _Optional[_Iterable[_Union[Indicator, _Mapping]]] = ..., target_groups: _Optional[_Iterable[_Union[TargetGroup, _Mapping]]] = ..., organisations: _Optional[_Iterable[_Union[_resources_pb2.Organisation, _Mapping]]] = ..., region_level: _Optional[str] = ..., parent_region: _Optional[str] = ..., children: _Optional[_Iterable[_Union[RegionRef, _Mapping]]] = ..., succession: _Optional[_Iterable[_Union[PlanRef, _Mapping]]] = ..., status: _Optional[str] = ...) -> None: ...

class RegionRef(_message.Message):
    __slots__ = ("code", "name", "level")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    level: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., level: _Optional[str] = ...) -> None: ...

class PlanRef(_message.Message):
    __slots__ = ("code", "title", "period_start", "period_end")
    CODE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    code: str
    title: str
    period_start: int
    period_end: int
    def __init__(self, code: _Optional[str] = ..., title: _Optional[str] = ..., period_start: _Optional[int] = ..., period_end: _Optional[int] = ...) -> None: ...

class Quantity(_message.Message):
    __slots__ = ("code", "name", "unit", "whole", "max")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    WHOLE_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    unit: str
    whole: bool
    max: float
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., unit: _Optional[str] = ..., whole: _Optional[bool] = ..., max: _Optional[float] = ...) -> None: ...

class ActivityType(_message.Message):
    __slots__ = ("code", "name", "category", "quantities", "description")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    QUANTITIES_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    category: str
    quantities: _containers.RepeatedScalarFieldContainer[str]
    description: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., category: _Optional[str] = ..., quantities: _Optional[_Iterable[str]] = ..., description: _Optional[str] = ...) -> None: ...

class Measure(_message.Message):
    __slots__ = ("code", "title", "text", "responsible")
    CODE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    RESPONSIBLE_FIELD_NUMBER: _ClassVar[int]
    code: str
    title: str
    text: str
    responsible: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, code: _Optional[str] = ..., title: _Optional[str] = ..., text: _Optional[str] = ..., responsible: _Optional[_Iterable[str]] = ...) -> None: ...

class Section(_message.Message):
    __slots__ = ("code", "group", "title", "task", "lead_units", "measures")
    CODE_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    LEAD_UNITS_FIELD_NUMBER: _ClassVar[int]
    MEASURES_FIELD_NUMBER: _ClassVar[int]
    code: str
    group: str
    title: str
    task: str
    lead_units: _containers.RepeatedScalarFieldContainer[str]
    measures: _containers.RepeatedCompositeFieldContainer[Measure]
    def __init__(self, code: _Optional[str] = ..., group: _Optional[str] = ..., title: _Optional[str] = ..., task: _Optional[str] = ..., lead_units: _Optional[_Iterable[str]] = ..., measures: _Optional[_Iterable[_Union[Measure, _Mapping]]] = ...) -> None: ...

class Feed(_message.Message):
    __slots__ = ("activity_type", "quantity")
    ACTIVITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    activity_type: str
    quantity: str
    def __init__(self, activity_type: _Optional[str] = ..., quantity: _Optional[str] = ...) -> None: ...

class Indicator(_message.Message):
    __slots__ = ("code", "name", "kind", "target", "comparison", "unit", "feeds", "responsible", "section", "source_text", "tracking")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    FEEDS_FIELD_NUMBER: _ClassVar[int]
    RESPONSIBLE_FIELD_NUMBER: _ClassVar[int]
    SECTION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TEXT_FIELD_NUMBER: _ClassVar[int]
    TRACKING_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    kind: str
    target: float
    comparison: str
    unit: str
    feeds: _containers.RepeatedCompositeFieldContainer[Feed]
    responsible: _containers.RepeatedScalarFieldContainer[str]
    section: str
    source_text: str
    tracking: bool
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[str] = ..., target: _Optional[float] = ..., comparison: _Optional[str] = ..., unit: _Optional[str] = ..., feeds: _Optional[_Iterable[_Union[Feed, _Mapping]]] = ..., responsible: _Optional[_Iterable[str]] = ..., section: _Optional[str] = ..., source_text: _Optional[str] = ..., tracking: _Optional[bool] = ...) -> None: ...

class TargetGroup(_message.Message):
    __slots__ = ("code", "name")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...
