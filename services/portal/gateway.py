"""The portal's one way to the data: the public gRPC API, as the signed-in person.

The portal holds no rights of its own. Each request calls the gateway with the person's
session credential (from their cookie), so roles, own-organisation rules, bounds and
idempotency are enforced where they already are, once. One gRPC channel is shared by all
requests (``KepuClient.with_token``); the calls block, so pages run them in Starlette's
thread pool (``call``).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import grpc
from starlette.concurrency import run_in_threadpool

from libs.client.client import ClientError, KepuClient
from libs.common.access import Caller
from libs.common.wording import region_word

T = TypeVar("T")


ROLE_NAMES = {"reporter": "填报员", "viewer": "查看员", "admin": "管理员（{}科协）"}


class Person(Caller):
    """Who is signed in, as the gateway says (``WhoAmI``): the caller the gateway itself uses,
    with the names a page shows."""

    region_name: str = ""
    region_level: str = "county"

    @property
    def org_name(self) -> str:
        return self.name

    @property
    def region_word(self) -> str:
        """县, 市 or 省: how pages name the person's region (全县总览, 全市总览)."""
        return region_word(self.region_level)

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, self.role).format(self.region_word)

    @classmethod
    def of(cls, identity) -> "Person":
        return cls(org=identity.org, name=identity.org_name, org_kind=identity.org_kind, role=identity.role,
                   account=identity.account or None, display_name=identity.display_name,
                   region=identity.region or None, region_name=identity.region_name,
                   region_level=identity.region_level or "county")


class Gateway:
    """The shared connection; ``as_person`` gives a client calling with one person's credential."""

    def __init__(self, target: str, ca_file=None, timeout: float = 20.0):
        # no retries inside a page: a person would wait through them; the page says "try again"
        self.client = KepuClient(target, token="", ca_file=ca_file, timeout=timeout, retries=1)

    def as_person(self, credential: str) -> KepuClient:
        return self.client.with_token(credential)

    def anonymous(self) -> KepuClient:
        """For the calls that need no credential: sign-in and account set-up."""
        return self.client

    def close(self) -> None:
        self.client.close()


async def call(blocking: Callable[..., T], *args, **kwargs) -> T:
    """Run a blocking gateway call without holding up the other requests."""
    return await run_in_threadpool(blocking, *args, **kwargs)


def is_signed_out(exc: ClientError) -> bool:
    """The credential is no good any more (expired, signed out, ended by an operator)."""
    return exc.code == grpc.StatusCode.UNAUTHENTICATED
