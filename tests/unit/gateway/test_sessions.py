"""What the gateway does for people's sessions without the services: which methods need no
bearer, the credential it makes, the client's address, and a session as its own bearer (stream
slots, groups of reports, the audit)."""
from __future__ import annotations

from contextlib import ExitStack

import pytest

from libs.common.access import Caller
from libs.common.api.kepu.v1 import session_service_pb2 as ses
from services.gateway.grouping import ReportGroups
from services.gateway.guard import KEPU_METHODS, PUBLIC_METHODS
from services.gateway.limits import StreamSlots, TooManyStreams
from services.gateway.servicers import new_session_credential, peer_address
from tests.unit.gateway.test_grouping import Service, run_concurrently

SESSION_SERVICE = ses.DESCRIPTOR.services_by_name["SessionService"]
WANG = Caller(org="women-federation", org_kind="body", role="reporter", account="fulian-wang", session_id=1)
LI = Caller(org="women-federation", org_kind="body", role="reporter", account="li-na", session_id=2)


def test_only_signing_in_and_setting_up_need_no_bearer():
    methods = {f"/{SESSION_SERVICE.full_name}/{m.name}" for m in SESSION_SERVICE.methods}
    assert PUBLIC_METHODS == {m for m in methods if m.rsplit("/", 1)[1] in ("SignIn", "DescribeSetup",
                                                                            "CompleteSetup")}
    assert all(m.startswith(KEPU_METHODS) for m in PUBLIC_METHODS)


def test_a_session_credential_is_random_and_recognisable():
    one, two = new_session_credential(), new_session_credential()
    assert one != two and one.startswith("kps_") and len(one) == 4 + 43


@pytest.mark.parametrize(("peer", "address"), [
    ("ipv4:203.0.113.5:53122", "203.0.113.5"), ("ipv6:[2001:db8::7]:53122", "2001:db8::7"),
    ("ipv6:%5B::1%5D:4000", "::1"), ("unix:/tmp/sock", "unix:/tmp/sock"),
])
def test_the_client_address_is_the_peer_without_its_port(peer, address):
    assert peer_address(peer) == address


def test_a_session_is_a_bearer_of_its_own_for_stream_slots():
    slots = StreamSlots(total=10, per_address=10, per_token=1)
    with ExitStack() as stack:
        stack.enter_context(slots.hold("ipv4:10.0.0.5:1", WANG.credential))
        stack.enter_context(slots.hold("ipv4:10.0.0.5:2", LI.credential))  # the same organisation, another person
        with pytest.raises(TooManyStreams, match="session"):
            stack.enter_context(slots.hold("ipv4:10.0.0.5:3", WANG.credential))
    assert (WANG.credential, Caller(org="x", org_kind="body", role="viewer", token_id=1).credential) == (
        "session:1", "token:1")


class People(Service):
    """Answers each report with the account of the caller its group was sent as."""

    def send(self, caller: Caller, reports: list[dict], deadline: float) -> list[dict]:
        super().send(caller, reports, deadline)
        return [{"n": r["n"], "by": caller.account} for r in reports]


def test_two_peoples_reports_never_share_a_group_so_each_is_audited_as_its_own():
    service = People()
    answers = run_concurrently(ReportGroups(service.send), [(WANG if n % 2 else LI, n) for n in range(12)])
    assert all(a["by"] == ("fulian-wang" if n % 2 else "li-na") for n, a in answers.items())
    assert WANG.audit_fields()["by_account"] == "fulian-wang"
