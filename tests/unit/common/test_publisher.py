"""The publisher's confirm bookkeeping: a list counts as confirmed only when every delivery tag up
to its last one is acked, whether the broker acks them singly, in any order, or many at once."""
from __future__ import annotations

from libs.common.bus.publisher import EnvelopePublisher


def publisher() -> EnvelopePublisher:
    return EnvelopePublisher("amqp://guest:guest@127.0.0.1:1/")  # never connects in these tests


def test_a_multiple_ack_confirms_every_tag_up_to_it():
    p = publisher()
    p._on_ack(5, True)
    assert p._confirmed == 5


def test_single_acks_out_of_order_count_once_the_gap_is_filled():
    p = publisher()
    p._on_ack(2, False)
    p._on_ack(3, False)
    assert p._confirmed == 0
    p._on_ack(1, False)
    assert p._confirmed == 3 and not p._ahead


def test_a_nack_is_remembered_for_the_list_it_belongs_to():
    p = publisher()
    p._on_nack(1, False)
    assert p._confirmed == 1 and p._nacked == [1]
