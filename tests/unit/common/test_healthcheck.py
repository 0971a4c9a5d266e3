"""The containers' health check: 0 while the service's /metrics port answers, 1 when it does not."""
from __future__ import annotations

from prometheus_client import start_http_server

from libs.common import healthcheck
from libs.common.settings import get_settings
from libs.localenv.ports import free_range


def test_healthy_while_metrics_answer_and_unhealthy_without(monkeypatch, capsys):
    base = free_range(5)
    monkeypatch.setenv("KEPU_METRICS_PORT_BASE", str(base))
    get_settings.cache_clear()
    try:
        server, _thread = start_http_server(base + 2, addr="127.0.0.1")  # indicators' port
        assert healthcheck.main(["indicators"]) == 0
        server.shutdown()
        server.server_close()
        assert healthcheck.main(["indicators"]) == 1
        assert "indicators: no answer on" in capsys.readouterr().err
        assert healthcheck.main(["nonsense"]) == 2
    finally:
        get_settings.cache_clear()
