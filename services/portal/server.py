"""The web portal process: ``python -m services.portal.server`` (``kepu run`` starts it).

Serves people's pages on ``KEPU_PORTAL_PORT`` under uvicorn, and /metrics on its own port (like
every process: operators' numbers are not on the public port). It holds no data: every page
calls the gRPC gateway as the signed-in person.
"""
from __future__ import annotations

import logging

import uvicorn

from libs.common.logs import configure_logging
from libs.common.metrics import serve_metrics
from libs.common.settings import Settings
from services.portal.app import create_app
from services.portal.gateway import Gateway
from services.portal.settings import PortalSettings

log = logging.getLogger("kepu.portal")


def main() -> None:
    settings, portal = Settings(), PortalSettings()
    configure_logging("portal", settings.log_level)
    metrics_port = settings.metrics_port("portal")
    if metrics_port >= 0:
        serve_metrics(settings.metrics_host, metrics_port)
    gateway = Gateway(settings.grpc_target, settings.grpc_ca_file, timeout=portal.portal_call_timeout)
    app = create_app(gateway, portal, settings.portal_base)
    trusted = [p.strip() for p in portal.portal_trusted_proxies.split(",") if p.strip()]
    log.info("portal on http://%s:%d (people reach it as %s), calling the gateway at %s", portal.portal_host,
             settings.portal_port, settings.portal_base, settings.grpc_target)
    try:
        uvicorn.run(app, host=portal.portal_host, port=settings.portal_port, log_level="warning",
                    proxy_headers=True, forwarded_allow_ips=trusted, server_header=False)
    finally:
        gateway.close()


if __name__ == "__main__":
    main()
