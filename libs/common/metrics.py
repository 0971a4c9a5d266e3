"""Prometheus helpers: an HTTP endpoint per service and the metrics every service shares."""
from __future__ import annotations

import logging

from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge, Histogram, start_http_server

from libs.common.settings import settings_from_config

log = logging.getLogger(__name__)

EVENTS_HANDLED = Counter(
    "kepu_events_handled_total", "Events handled by a service, by outcome (ok, retried, dead_lettered).",
    ["service", "event_type", "outcome"],
)
EVENT_BATCH_SIZE = Histogram(
    "kepu_event_batch_size", "Events a consumer applied in one transaction.", ["service", "event_type"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
EVENT_BATCH_SECONDS = Histogram(
    "kepu_event_batch_seconds", "Time a consumer took to apply one batch of events (handler latency).",
    ["service", "event_type"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BUS_REFUSED = Counter(
    "kepu_bus_refused_total", "Messages a service refused because their broker-validated sender may not send them "
    "(kind: rpc, event); any is a forged message or a misconfigured user.", ["service", "kind", "sender"],
)
OUTBOX_PENDING = Gauge("kepu_outbox_pending", "Events stored but not yet confirmed by the broker.", ["service"])
OUTBOX_PUBLISHED = Counter("kepu_outbox_published_total", "Events the outbox relay published.", ["service"])


def serve_metrics(host: str, port: int):
    """Start the /metrics endpoint; a clear error when the port is taken."""
    try:
        return start_http_server(port, addr=host)
    except OSError as exc:
        raise SystemExit(
            f"cannot serve metrics on {host}:{port}: {exc.strerror}. "
            "Free the port or set KEPU_METRICS_PORT_BASE to another range."
        ) from None


class MetricsEndpoint(DependencyProvider):
    """Serves this process's Prometheus registry while the service runs."""

    def __init__(self, service: str):
        self.service = service
        self.server = None

    def start(self) -> None:
        settings = settings_from_config(self.container.config)
        port = settings.metrics_port(self.service)
        if port < 0:  # tests run several services in one process: no endpoint
            return
        self.server, _thread = serve_metrics(settings.metrics_host, port)
        log.info("%s metrics on http://%s:%s/metrics", self.service, settings.metrics_host,
                 self.server.server_port)

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def get_dependency(self, worker_ctx):
        return None
