"""How many streams one client may hold open (services/gateway/limits.py)."""
from __future__ import annotations

from contextlib import ExitStack

import pytest

from services.gateway.limits import StreamSlots, TooManyStreams


def hold(slots: StreamSlots, stack: ExitStack, peer: str, token_id: int | None = None) -> None:
    stack.enter_context(slots.hold(peer, token_id))


def test_one_address_holds_at_most_its_share_whatever_its_connections():
    slots = StreamSlots(total=10, per_address=2, per_token=10)
    with ExitStack() as stack:
        hold(slots, stack, "ipv4:10.0.0.5:5001")
        hold(slots, stack, "ipv4:10.0.0.5:5002")
        with pytest.raises(TooManyStreams, match="your address"):
            hold(slots, stack, "ipv4:10.0.0.5:5003")
        hold(slots, stack, "ipv4:10.0.0.6:5001")  # another address still may
        with pytest.raises(TooManyStreams, match="your address"):  # one IPv6 host: its whole /64
            for port in range(3):
                hold(slots, stack, f"ipv6:[2001:db8:1:2::{port + 1}]:{port + 4000}")


def test_one_token_holds_at_most_its_share_from_any_address():
    slots = StreamSlots(total=10, per_address=10, per_token=2)
    with ExitStack() as stack:
        hold(slots, stack, "ipv4:10.0.0.5:5001", 7)
        hold(slots, stack, "ipv4:10.0.0.6:5001", 7)
        with pytest.raises(TooManyStreams, match="your token"):
            hold(slots, stack, "ipv4:10.0.0.7:5001", 7)
        hold(slots, stack, "ipv4:10.0.0.7:5001", 8)  # another token still may


def test_the_gateway_holds_at_most_its_total_and_a_closed_stream_gives_its_slot_back():
    slots = StreamSlots(total=2, per_address=10, per_token=10)
    with ExitStack() as stack:
        hold(slots, stack, "ipv4:10.0.0.5:5001", 1)
        with ExitStack() as inner:
            hold(slots, inner, "ipv4:10.0.0.6:5001", 2)
            with pytest.raises(TooManyStreams, match="streams open"):
                hold(slots, stack, "ipv4:10.0.0.7:5001")
        assert slots.open == 1
        hold(slots, stack, "ipv4:10.0.0.7:5001")
    assert slots.open == 0


def test_a_stream_that_fails_gives_its_slot_back():
    slots = StreamSlots(total=1, per_address=1, per_token=1)
    with pytest.raises(RuntimeError), slots.hold("ipv4:10.0.0.5:5001", 1):
        raise RuntimeError("the stream failed")
    with slots.hold("ipv4:10.0.0.5:5001", 1):
        assert slots.open == 1
