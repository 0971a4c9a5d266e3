"""nameko's ``rpc`` entrypoint, with replies published without publisher confirms.

nameko confirms every reply with the broker before it acks the request: a round trip per call
that buys nothing, since the reply goes to the caller's own non-durable queue. A reply lost
anyway (the broker dies in between) leaves the caller with a timeout, and the calls that change
data are safe to resend (external_id, revision). Profiled under `make bench`: confirmed replies
took ~18 % of the activities service's CPU on the single-report path.
"""
from __future__ import annotations

from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)
from nameko.rpc import Responder, Rpc, RpcConsumer, get_rpc_exchange

from libs.common.errors import CLIENT_ERRORS


class _ReplyPublisher(Publisher):
    use_confirms = False


class _Responder(Responder):
    publisher_cls = _ReplyPublisher


class _RpcConsumer(RpcConsumer):
    """nameko's ``RpcConsumer.handle_result`` with our responder."""

    def handle_result(self, message, result, exc_info):
        config = self.container.config
        responder = _Responder(config[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config),
                               config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
                               ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class UnconfirmedReplyRpc(Rpc):
    """Also: the client errors (``libs.common.errors.CLIENT_ERRORS``) are expected, so nameko
    does not log them as failures (``libs.common.logs`` makes them one INFO line)."""

    rpc_consumer = _RpcConsumer()

    def __init__(self, expected_exceptions=CLIENT_ERRORS, **kwargs):
        super().__init__(expected_exceptions=expected_exceptions, **kwargs)


rpc = UnconfirmedReplyRpc.decorator
