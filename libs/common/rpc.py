"""nameko's RPC, with every caller proven: requests carry the sender's broker user (AMQP
``user_id``, which RabbitMQ checks), and an entry point answers only callers the table in
``libs.common.bus.senders`` allows (others get ``PermissionDenied``, counted in
``kepu_bus_refused_total``). Use this module's ``ClusterRpcProxy`` instead of nameko's.

Replies are published without publisher confirms:

nameko confirms every reply with the broker before it acks the request: a round trip per call
that buys nothing, since the reply goes to the caller's own non-durable queue. A reply lost
anyway (the broker dies in between) leaves the caller with a timeout, and the calls that change
data are safe to resend (external_id, revision). Profiled under `make bench`: confirmed replies
took ~18 % of the activities service's CPU on the single-report path.
"""
from __future__ import annotations

import logging
import select
import uuid

from kombu import Connection, Exchange, Queue
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)
from nameko.rpc import (
    RPC_REPLY_QUEUE_TEMPLATE,
    RPC_REPLY_QUEUE_TTL,
    Responder,
    Rpc,
    RpcConsumer,
    ServiceProxy,
    get_rpc_exchange,
)
from nameko.standalone.rpc import (
    ClusterProxy,
    PollingQueueConsumer,
    SingleThreadedReplyListener,
    StandaloneProxyBase,
)

from libs.common.bus.senders import broker_user, call_refusal
from libs.common.bus.topology import RPC_EXCHANGE, require, rpc_queue
from libs.common.errors import CLIENT_ERRORS, PermissionDenied
from libs.common.metrics import BUS_REFUSED
from libs.common.settings import settings_from_config

log = logging.getLogger(__name__)


class _ReplyPublisher(Publisher):
    use_confirms = False


class _Responder(Responder):
    publisher_cls = _ReplyPublisher


class _RpcConsumer(RpcConsumer):
    """nameko's ``RpcConsumer``: binding its queue to the operator's exchange without declaring
    the exchange (no service may change or delete it), and ``handle_result`` with our responder."""

    def setup(self) -> None:
        if self.queue is None:
            name = self.container.service_name
            with Connection(self.container.config[AMQP_URI_CONFIG_KEY], connect_timeout=10) as conn:
                require(conn, exchanges=[RPC_EXCHANGE.name])
            queue_type = settings_from_config(self.container.config).broker_queue_type
            self.queue = rpc_queue(name, queue_type, exchange=_undeclared(RPC_EXCHANGE))
            self.queue_consumer.register_provider(self)

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

    def setup(self) -> None:
        super().setup()
        self.operators = settings_from_config(self.container.config).operator_users
        BUS_REFUSED.labels(self.container.service_name, "rpc", "-")  # the series exists at 0 (rules, dashboards)

    def handle_message(self, body, message) -> None:
        """Refuse a caller the sender table does not allow before anything runs."""
        sender = message.properties.get("user_id")
        service = self.container.service_name
        why = call_refusal(sender, service, self.method_name, self.operators)
        if why is None:
            super().handle_message(body, message)
            return
        BUS_REFUSED.labels(service, "rpc", sender or "-").inc()
        log.warning("%s refused an RPC: %s; if this is not an attack, check which broker user that process "
                    "connects as (KEPU_AMQP_URI) and KEPU_BUS_OPERATORS", service, why)
        refusal = PermissionDenied(why)
        self.rpc_consumer.handle_result(message, None, (PermissionDenied, refusal, None))


rpc = UnconfirmedReplyRpc.decorator


def _undeclared(exchange: Exchange) -> Exchange:
    """The exchange as a binding's source only: kombu declares it no more (that needs the right to
    change it)."""
    return Exchange(exchange.name, type=exchange.type, durable=exchange.durable, no_declare=True)


# a request waits this long for the broker's confirm: a quorum queue without a majority of its
# nodes neither acks nor nacks. Retried on another node; (retries + 1) × this stays under the
# gateway's KEPU_GRPC_CALL_TIMEOUT (15 s), so a caller hears UNAVAILABLE, not silence
REQUEST_CONFIRM_TIMEOUT = 3.0
REQUEST_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}


class _ReplyConsumer(PollingQueueConsumer):
    """nameko's polling reply consumer, which notices a lost connection only while it waits for a
    reply, after the request went out: on a cluster whose node died, the service's reply then
    reaches no queue (the transient reply queue died with its node) and the call times out.
    ``ensure_alive``, called before each request, makes the queue again on a live node first."""

    def ensure_alive(self) -> None:
        connection = self.connection
        try:
            if not connection.connected:
                raise ConnectionError("the reply connection is closed")
            sock = connection.connection.transport.sock
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:  # a close, an EOF, or a late reply: read what is there
                connection.drain_events(timeout=0.001)
        except TimeoutError:
            return
        except (OSError, ConnectionError, *connection.connection_errors) as exc:
            log.warning("the RPC reply connection was lost (%s); reconnecting before the next request", exc)
            self._setup_consumer()


class _ReplyListener(SingleThreadedReplyListener):
    """nameko's standalone reply listener, binding its reply queue without declaring the exchange.
    The queue is transient (kombu's default is durable): in a cluster a durable classic queue whose
    node is down cannot be declared again from another node, so a proxy failing over would stay
    broken until that node came back; a transient one is dropped with its node and made anew."""

    def __init__(self, timeout=None):
        super().__init__(timeout)
        self.queue_consumer = _ReplyConsumer(timeout=timeout)

    def get_reply_event(self, correlation_id):
        """Called before each request is published: the reply queue must exist by then."""
        if not self.queue_consumer.stopped:
            self.queue_consumer.ensure_alive()
        return super().get_reply_event(correlation_id)

    def setup(self) -> None:
        reply_queue_uuid = uuid.uuid4()
        self.routing_key = str(reply_queue_uuid)
        self.queue = Queue(RPC_REPLY_QUEUE_TEMPLATE.format(self.container.service_name, reply_queue_uuid),
                           exchange=_undeclared(RPC_EXCHANGE), routing_key=self.routing_key, durable=False,
                           queue_arguments={"x-expires": RPC_REPLY_QUEUE_TTL})
        self.queue_consumer.register_provider(self)


class _IdentifiedClusterProxy(ClusterProxy):
    """nameko's cluster proxy, passing publisher options (the ``user_id``) to every service proxy."""

    def __init__(self, worker_ctx, reply_listener, **options):
        super().__init__(worker_ctx, reply_listener)
        self._options = options

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._proxies:
            self._proxies[name] = ServiceProxy(self._worker_ctx, name, self._reply_listener, **self._options)
        return self._proxies[name]


class ClusterRpcProxy(StandaloneProxyBase):
    """nameko's ``ClusterRpcProxy`` whose requests carry the broker user they are sent as."""

    def __init__(self, config: dict, context_data=None, timeout=None):
        super().__init__(config, context_data, timeout, reply_listener_cls=_ReplyListener)
        self._proxy = _IdentifiedClusterProxy(self._worker_ctx, self._reply_listener,
                                              user_id=broker_user(config["AMQP_URI"]),
                                              confirm_timeout=REQUEST_CONFIRM_TIMEOUT,
                                              retry_policy=REQUEST_RETRY_POLICY)
