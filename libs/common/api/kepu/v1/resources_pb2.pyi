from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ActivityReport(_message.Message):
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
    __slots__ = ("activity_id", "org", "revision", "activity_type", "title", "external_id", "town", "target_group", "start_date", "end_date", "quantities", "co_organisers", "retracted", "retract_reason", "created_at", "updated_at")
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
    CO_ORGANISERS_FIELD_NUMBER: _ClassVar[int]
    RETRACTED_FIELD_NUMBER: _ClassVar[int]
    RETRACT_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
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
    co_organisers: _containers.RepeatedScalarFieldContainer[str]
    retracted: bool
    retract_reason: str
    created_at: str
    updated_at: str
    def __init__(self, activity_id: _Optional[str] = ..., org: _Optional[str] = ..., revision: _Optional[int] = ..., activity_type: _Optional[str] = ..., title: _Optional[str] = ..., external_id: _Optional[str] = ..., town: _Optional[str] = ..., target_group: _Optional[str] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., quantities: _Optional[_Mapping[str, float]] = ..., co_organisers: _Optional[_Iterable[str]] = ..., retracted: _Optional[bool] = ..., retract_reason: _Optional[str] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ...) -> None: ...

class FieldViolation(_message.Message):
    __slots__ = ("field", "description", "reason")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    field: str
    description: str
    reason: str
    def __init__(self, field: _Optional[str] = ..., description: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class AuditEntry(_message.Message):
    __slots__ = ("revision", "action", "at", "by_org", "by_role", "by_token_id", "reason", "activity", "by_account")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    BY_ORG_FIELD_NUMBER: _ClassVar[int]
    BY_ROLE_FIELD_NUMBER: _ClassVar[int]
    BY_TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    BY_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    revision: int
    action: str
    at: str
    by_org: str
    by_role: str
    by_token_id: int
    reason: str
    activity: Activity
    by_account: str
    def __init__(self, revision: _Optional[int] = ..., action: _Optional[str] = ..., at: _Optional[str] = ..., by_org: _Optional[str] = ..., by_role: _Optional[str] = ..., by_token_id: _Optional[int] = ..., reason: _Optional[str] = ..., activity: _Optional[_Union[Activity, _Mapping]] = ..., by_account: _Optional[str] = ...) -> None: ...

class WindowProgress(_message.Message):
    __slots__ = ("indicator", "name", "kind", "window", "scope", "actual", "expected", "target", "unit", "status", "as_of", "missing_periods")
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
    MISSING_PERIODS_FIELD_NUMBER: _ClassVar[int]
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
    missing_periods: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, indicator: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[str] = ..., window: _Optional[str] = ..., scope: _Optional[str] = ..., actual: _Optional[float] = ..., expected: _Optional[float] = ..., target: _Optional[float] = ..., unit: _Optional[str] = ..., status: _Optional[str] = ..., as_of: _Optional[str] = ..., missing_periods: _Optional[_Iterable[str]] = ...) -> None: ...

class StatusChange(_message.Message):
    __slots__ = ("indicator", "indicator_name", "window", "scope", "previous", "status", "actual", "expected", "target", "unit", "as_of", "responsible")
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_NAME_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ACTUAL_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    RESPONSIBLE_FIELD_NUMBER: _ClassVar[int]
    indicator: str
    indicator_name: str
    window: str
    scope: str
    previous: str
    status: str
    actual: float
    expected: float
    target: float
    unit: str
    as_of: str
    responsible: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, indicator: _Optional[str] = ..., indicator_name: _Optional[str] = ..., window: _Optional[str] = ..., scope: _Optional[str] = ..., previous: _Optional[str] = ..., status: _Optional[str] = ..., actual: _Optional[float] = ..., expected: _Optional[float] = ..., target: _Optional[float] = ..., unit: _Optional[str] = ..., as_of: _Optional[str] = ..., responsible: _Optional[_Iterable[str]] = ...) -> None: ...

class Organisation(_message.Message):
    __slots__ = ("code", "name", "kind", "parent", "from_plan", "is_example", "region")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    FROM_PLAN_FIELD_NUMBER: _ClassVar[int]
    IS_EXAMPLE_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    kind: str
    parent: str
    from_plan: bool
    is_example: bool
    region: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[str] = ..., parent: _Optional[str] = ..., from_plan: _Optional[bool] = ..., is_example: _Optional[bool] = ..., region: _Optional[str] = ...) -> None: ...

class Alert(_message.Message):
    __slots__ = ("id", "indicator", "indicator_name", "window", "scope", "state", "status", "actual", "expected", "target", "unit", "as_of", "recipients", "opened_at", "resolved_at", "times_opened", "severity", "historical", "silenced_until", "topic", "due", "text")
    ID_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_NAME_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ACTUAL_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    OPENED_AT_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    TIMES_OPENED_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    HISTORICAL_FIELD_NUMBER: _ClassVar[int]
    SILENCED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    id: int
    indicator: str
    indicator_name: str
    window: str
    scope: str
    state: str
    status: str
    actual: float
    expected: float
    target: float
    unit: str
    as_of: str
    recipients: _containers.RepeatedScalarFieldContainer[str]
    opened_at: str
    resolved_at: str
    times_opened: int
    severity: str
    historical: bool
    silenced_until: str
    topic: str
    due: str
    text: str
    def __init__(self, id: _Optional[int] = ..., indicator: _Optional[str] = ..., indicator_name: _Optional[str] = ..., window: _Optional[str] = ..., scope: _Optional[str] = ..., state: _Optional[str] = ..., status: _Optional[str] = ..., actual: _Optional[float] = ..., expected: _Optional[float] = ..., target: _Optional[float] = ..., unit: _Optional[str] = ..., as_of: _Optional[str] = ..., recipients: _Optional[_Iterable[str]] = ..., opened_at: _Optional[str] = ..., resolved_at: _Optional[str] = ..., times_opened: _Optional[int] = ..., severity: _Optional[str] = ..., historical: _Optional[bool] = ..., silenced_until: _Optional[str] = ..., topic: _Optional[str] = ..., due: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...
