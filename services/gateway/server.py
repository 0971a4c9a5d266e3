"""The gRPC gateway process: ``python -m services.gateway.server``.

Its own process, without eventlet (grpcio and eventlet's monkey patching do not mix), served
with ``grpc.aio``: an open call or stream is a coroutine, so no client holds a thread by
keeping a stream open (``guard.py``); calls to the services run in the backend's threads.
Serves the kepu.v1 API, the standard health service and, when ``KEPU_GRPC_REFLECTION`` turns
it on, server reflection, over TLS when a certificate is configured. Every limit comes from
settings: threads, concurrent calls, streams per address and token, idle streams, message
sizes, keepalive and idle connections.
"""
from __future__ import annotations

import asyncio
import logging
import signal

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from libs.common.api.kepu.v1 import activity_service_pb2 as act
from libs.common.api.kepu.v1 import activity_service_pb2_grpc as act_grpc
from libs.common.api.kepu.v1 import alert_service_pb2 as alr
from libs.common.api.kepu.v1 import alert_service_pb2_grpc as alr_grpc
from libs.common.api.kepu.v1 import indicator_service_pb2 as ind
from libs.common.api.kepu.v1 import indicator_service_pb2_grpc as ind_grpc
from libs.common.api.kepu.v1 import organisation_service_pb2 as org
from libs.common.api.kepu.v1 import organisation_service_pb2_grpc as org_grpc
from libs.common.api.kepu.v1 import plan_service_pb2 as plan
from libs.common.api.kepu.v1 import plan_service_pb2_grpc as plan_grpc
from libs.common.api.kepu.v1 import report_service_pb2 as doc
from libs.common.api.kepu.v1 import report_service_pb2_grpc as doc_grpc
from libs.common.api.kepu.v1 import reporting_service_pb2 as rep
from libs.common.api.kepu.v1 import reporting_service_pb2_grpc as rep_grpc
from libs.common.api.kepu.v1 import session_service_pb2 as ses
from libs.common.api.kepu.v1 import session_service_pb2_grpc as ses_grpc
from libs.common.logs import configure_logging
from libs.common.metrics import serve_metrics
from libs.common.settings import Settings, get_settings
from services.gateway.backend import Backend
from services.gateway.courier import Courier
from services.gateway.endpoint import guard_sign_in
from services.gateway.guard import RequestGuard
from services.gateway.limits import StreamSlots
from services.gateway.servicers import (
    ActivityServicer,
    AlertServicer,
    IndicatorServicer,
    OrganisationServicer,
    PlanServicer,
    ReportingServicer,
    ReportServicer,
    SessionServicer,
)
from services.gateway.settings import GatewaySettings
from services.gateway.watch import StatusChangeHub

log = logging.getLogger(__name__)
SERVICE_NAMES = [
    act.DESCRIPTOR.services_by_name["ActivityService"].full_name,
    ind.DESCRIPTOR.services_by_name["IndicatorService"].full_name,
    org.DESCRIPTOR.services_by_name["OrganisationService"].full_name,
    alr.DESCRIPTOR.services_by_name["AlertService"].full_name,
    plan.DESCRIPTOR.services_by_name["PlanService"].full_name,
    ses.DESCRIPTOR.services_by_name["SessionService"].full_name,
    rep.DESCRIPTOR.services_by_name["ReportingService"].full_name,
    doc.DESCRIPTOR.services_by_name["ReportService"].full_name,
]


def server_options(settings: GatewaySettings) -> list[tuple[str, int]]:
    size = settings.grpc_max_message_bytes
    return [
        ("grpc.max_receive_message_length", size),
        ("grpc.max_send_message_length", size),
        ("grpc.keepalive_time_ms", settings.grpc_keepalive_seconds * 1000),
        ("grpc.keepalive_timeout_ms", 20_000),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
        ("grpc.max_connection_idle_ms", settings.grpc_max_connection_idle_seconds * 1000),
    ]


def build_server(settings: Settings, gateway: GatewaySettings, backend: Backend,
                 hub: StatusChangeHub) -> tuple[grpc.aio.Server, health.aio.HealthServicer]:
    """The server with every service on it, its port bound; called on the running event loop."""
    slots = StreamSlots(gateway.grpc_max_streams, gateway.grpc_streams_per_address, gateway.grpc_streams_per_token)
    guard = RequestGuard(gateway.grpc_request_wait, gateway.grpc_stream_idle_seconds, slots, guard_sign_in(backend))
    server = grpc.aio.server(maximum_concurrent_rpcs=gateway.grpc_max_concurrent_rpcs,
                             options=server_options(gateway), interceptors=[guard])
    act_grpc.add_ActivityServiceServicer_to_server(ActivityServicer(backend), server)
    ind_grpc.add_IndicatorServiceServicer_to_server(IndicatorServicer(backend, hub), server)
    org_grpc.add_OrganisationServiceServicer_to_server(OrganisationServicer(backend), server)
    alr_grpc.add_AlertServiceServicer_to_server(AlertServicer(backend), server)
    plan_grpc.add_PlanServiceServicer_to_server(PlanServicer(backend), server)
    ses_grpc.add_SessionServiceServicer_to_server(SessionServicer(backend), server)
    rep_grpc.add_ReportingServiceServicer_to_server(ReportingServicer(backend), server)
    doc_grpc.add_ReportServiceServicer_to_server(ReportServicer(backend), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    if gateway.grpc_reflection:
        reflection.enable_server_reflection([*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    address = settings.grpc_target
    try:
        if gateway.grpc_tls_cert_file:
            credentials = grpc.ssl_server_credentials([(gateway.grpc_tls_key_file.read_bytes(),
                                                        gateway.grpc_tls_cert_file.read_bytes())])
            server.add_secure_port(address, credentials)
        else:
            server.add_insecure_port(address)
    except OSError as exc:
        raise SystemExit(f"cannot read the TLS certificate or key ({exc}); check KEPU_GRPC_TLS_CERT_FILE and "
                         "KEPU_GRPC_TLS_KEY_FILE") from None
    except RuntimeError:
        raise SystemExit(f"cannot listen for gRPC on {address}: the port is taken. "
                         "Free it or set KEPU_GRPC_PORT to another port.") from None
    return server, health_servicer


async def serve(settings: Settings, gateway: GatewaySettings) -> None:
    """Serves until SIGTERM or SIGINT, then says NOT_SERVING and lets calls finish (5 s)."""
    backend = Backend(settings, gateway)
    hub = StatusChangeHub(settings.amqp_uri, gateway.grpc_max_watchers, settings.operator_users)
    server, health_servicer = build_server(settings, gateway, backend, hub)
    await server.start()
    for name in ("", *SERVICE_NAMES):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("gRPC gateway listening on %s:%s (%s)", settings.grpc_host, settings.grpc_port,
             "TLS" if gateway.grpc_tls_cert_file else "plaintext")
    courier = Courier(backend, settings.portal_base, gateway.pack_meeting_working_days, gateway.pack_courier_interval)
    courier_task = courier.start()
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    await stopped.wait()
    await health_servicer.enter_graceful_shutdown()
    if courier_task is not None:
        courier_task.cancel()
    hub.stop()
    await server.stop(grace=5)
    backend.close()
    log.info("gRPC gateway stopped")


def main() -> None:
    settings = get_settings()
    configure_logging("gateway", settings.log_level)
    metrics_port = settings.metrics_port("gateway")
    if metrics_port >= 0:
        serve_metrics(settings.metrics_host, metrics_port)
    asyncio.run(serve(settings, GatewaySettings()))


if __name__ == "__main__":
    main()
