"""The gRPC gateway process: ``python -m services.gateway.server``.

Its own process, without eventlet (grpcio and eventlet's monkey patching do not mix). Serves
the kepu.v1 API, the standard health service and server reflection.
"""
from __future__ import annotations

import logging
import signal
import threading
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from libs.common.api.kepu.v1 import gateway_pb2 as pb
from libs.common.api.kepu.v1 import gateway_pb2_grpc as pb_grpc
from libs.common.logs import configure_logging
from libs.common.metrics import serve_metrics
from libs.common.settings import Settings, get_settings
from services.gateway.backend import Backend
from services.gateway.servicers import ActivityServicer, IndicatorServicer

log = logging.getLogger(__name__)
SERVICE_NAMES = [pb.DESCRIPTOR.services_by_name[n].full_name for n in ("ActivityService", "IndicatorService")]


def build_server(settings: Settings, backend: Backend, workers: int = 8) -> tuple[grpc.Server, health.HealthServicer]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers))
    pb_grpc.add_ActivityServiceServicer_to_server(ActivityServicer(backend), server)
    pb_grpc.add_IndicatorServiceServicer_to_server(IndicatorServicer(backend), server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection([*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    address = f"{settings.grpc_host}:{settings.grpc_port}"
    try:
        server.add_insecure_port(address)
    except RuntimeError:
        raise SystemExit(f"cannot listen for gRPC on {address}: the port is taken. "
                         "Free it or set KEPU_GRPC_PORT to another port.") from None
    return server, health_servicer


def main() -> None:
    settings = get_settings()
    configure_logging("gateway", settings.log_level)
    metrics_port = settings.metrics_port("gateway")
    if metrics_port >= 0:
        serve_metrics(settings.metrics_host, metrics_port)
    backend = Backend(settings)
    server, health_servicer = build_server(settings, backend)
    server.start()
    for name in ("", *SERVICE_NAMES):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("gRPC gateway listening on %s:%s", settings.grpc_host, settings.grpc_port)
    stopped = threading.Event()

    def shutdown(signum, frame):
        health_servicer.enter_graceful_shutdown()
        stopped.set()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    stopped.wait()
    server.stop(grace=5).wait()
    backend.close()
    log.info("gRPC gateway stopped")


if __name__ == "__main__":
    main()
