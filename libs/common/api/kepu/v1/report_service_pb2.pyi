from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class GetAssessmentRequest(_message.Message):
    __slots__ = ("year", "format")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    year: int
    format: str
    def __init__(self, year: _Optional[int] = ..., format: _Optional[str] = ...) -> None: ...

class GetQuarterPackRequest(_message.Message):
    __slots__ = ("quarter", "format")
    QUARTER_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    quarter: str
    format: str
    def __init__(self, quarter: _Optional[str] = ..., format: _Optional[str] = ...) -> None: ...

class Document(_message.Message):
    __slots__ = ("filename", "content_type", "content", "as_of")
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    filename: str
    content_type: str
    content: bytes
    as_of: str
    def __init__(self, filename: _Optional[str] = ..., content_type: _Optional[str] = ..., content: _Optional[bytes] = ..., as_of: _Optional[str] = ...) -> None: ...
