from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SignInRequest(_message.Message):
    __slots__ = ("account", "password", "client_address")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    account: str
    password: str
    client_address: str
    def __init__(self, account: _Optional[str] = ..., password: _Optional[str] = ..., client_address: _Optional[str] = ...) -> None: ...

class SignInResponse(_message.Message):
    __slots__ = ("session_token", "identity", "idle_timeout_seconds")
    SESSION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    IDLE_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    session_token: str
    identity: Identity
    idle_timeout_seconds: int
    def __init__(self, session_token: _Optional[str] = ..., identity: _Optional[_Union[Identity, _Mapping]] = ..., idle_timeout_seconds: _Optional[int] = ...) -> None: ...

class DescribeSetupRequest(_message.Message):
    __slots__ = ("setup_code",)
    SETUP_CODE_FIELD_NUMBER: _ClassVar[int]
    setup_code: str
    def __init__(self, setup_code: _Optional[str] = ...) -> None: ...

class CompleteSetupRequest(_message.Message):
    __slots__ = ("setup_code", "password")
    SETUP_CODE_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    setup_code: str
    password: str
    def __init__(self, setup_code: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class SignOutRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SignOutResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WhoAmIRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Identity(_message.Message):
    __slots__ = ("org", "org_name", "org_kind", "role", "account", "display_name", "region", "region_name", "region_level")
    ORG_FIELD_NUMBER: _ClassVar[int]
    ORG_NAME_FIELD_NUMBER: _ClassVar[int]
    ORG_KIND_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    REGION_NAME_FIELD_NUMBER: _ClassVar[int]
    REGION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    org: str
    org_name: str
    org_kind: str
    role: str
    account: str
    display_name: str
    region: str
    region_name: str
    region_level: str
    def __init__(self, org: _Optional[str] = ..., org_name: _Optional[str] = ..., org_kind: _Optional[str] = ..., role: _Optional[str] = ..., account: _Optional[str] = ..., display_name: _Optional[str] = ..., region: _Optional[str] = ..., region_name: _Optional[str] = ..., region_level: _Optional[str] = ...) -> None: ...
