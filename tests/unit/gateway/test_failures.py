"""How the gateway answers what a method raised (services/gateway/endpoint.py, errors.py), and
its settings' guards."""
from __future__ import annotations

import grpc
import pytest
from kombu.exceptions import OperationalError as KombuOperationalError
from nameko.exceptions import RemoteError, UnknownService
from nameko.standalone.rpc import RpcTimeout
from pydantic import ValidationError

from libs.common.errors import BadRequest, NotFound, Violation
from services.gateway.endpoint import SignInRefused, failure_for
from services.gateway.errors import DATABASE_AWAY, MESSAGE_LIMIT, RESEND_ADVICE
from services.gateway.settings import GatewaySettings
from services.gateway.watch import TooManyWatchers

Code = grpc.StatusCode


@pytest.mark.parametrize(("raised", "code"), [
    (SignInRefused(Code.UNAUTHENTICATED, "unknown token"), Code.UNAUTHENTICATED),
    (NotFound("activity_id: no activity 'x'"), Code.NOT_FOUND),
    (TooManyWatchers("16 streams are open already"), Code.RESOURCE_EXHAUSTED),
    (RemoteError("OperationalError", "database is locked"), Code.UNAVAILABLE),
    (RemoteError("KeyError", "'x'"), Code.INTERNAL),
    (RpcTimeout(), Code.DEADLINE_EXCEEDED),
    (UnknownService("activities"), Code.UNAVAILABLE),
    (KombuOperationalError("connection refused"), Code.UNAVAILABLE),
    (ConnectionRefusedError(), Code.UNAVAILABLE),
    (TimeoutError("timed out"), Code.UNAVAILABLE),  # a request no majority of the broker's nodes confirmed
])
def test_each_failure_has_the_status_a_client_can_act_on(raised, code):
    assert failure_for(raised, "Method", 15.0).code == code


def test_an_unconfirmed_request_is_not_called_unstored():
    """A request the broker took but never confirmed may still be handled: resend, do not assume."""
    failure = failure_for(TimeoutError("timed out"), "ReportActivity", 15.0)
    assert failure.message == RESEND_ADVICE and "nothing was stored" not in failure.message


def test_a_bug_of_the_gateway_is_not_blamed_on_anyone():
    assert failure_for(KeyError("x"), "Method", 15.0) is None  # grpcio answers UNKNOWN; logged with its traceback


def test_a_database_away_or_a_timeout_says_whether_to_resend():
    assert failure_for(RemoteError("OperationalError", "x"), "M", 15.0).message == DATABASE_AWAY
    assert failure_for(RpcTimeout(), "M", 15.0).message == RESEND_ADVICE


def test_a_refusal_carries_its_violations_and_any_message_is_bounded():
    refused = failure_for(BadRequest([Violation("year", "out_of_range", "3000 is not a calendar year")]), "M", 1.0)
    assert refused.code == Code.INVALID_ARGUMENT and [v.field for v in refused.violations] == ["year"]
    echoed = failure_for(NotFound("no activity " + "x" * 16_000), "M", 1.0)
    assert echoed.code == Code.NOT_FOUND and len(echoed.message) <= MESSAGE_LIMIT


def test_reflection_is_off_unless_a_setting_turns_it_on(monkeypatch):
    monkeypatch.delenv("KEPU_GRPC_REFLECTION", raising=False)
    assert GatewaySettings().grpc_reflection is False
    monkeypatch.setenv("KEPU_GRPC_REFLECTION", "true")
    assert GatewaySettings().grpc_reflection is True


def test_streams_must_leave_room_for_calls():
    with pytest.raises(ValidationError, match="KEPU_GRPC_MAX_STREAMS"):
        GatewaySettings(grpc_max_streams=64, grpc_max_concurrent_rpcs=64)
