"""The 调度会 pack delivered unasked: `kepu run` on a date after the first quarter's meeting, and
the office's pack goes out through notifications without anybody asking (the gateway's courier)."""
from __future__ import annotations

import json
import os

import pytest

from libs.localenv.ports import free_port, free_range
from tests.e2e.system import kepu, start_system, stop_system
from tests.eventually import eventually

pytestmark = pytest.mark.e2e
LINE = "2024年第一季度调度会材料已生成，请在门户下载：https://kepu.example.cn/office/packs/2024Q1"


def test_the_office_gets_the_ended_quarter_s_pack_without_asking(rabbit_config, tmp_path):
    env = {**os.environ, "KEPU_AMQP_URI": rabbit_config["AMQP_URI"], "KEPU_MANAGE_BROKER": "false",
           "KEPU_VAR_DIR": str(tmp_path), "KEPU_GRPC_PORT": str(free_port()),
           "KEPU_METRICS_PORT_BASE": str(free_range(6)), "KEPU_AS_OF": "2024-06-30", "KEPU_EVALUATE_INTERVAL": "3600",
           "KEPU_PACK_COURIER_INTERVAL": "1", "KEPU_PORTAL_URL": "https://kepu.example.cn",
           "KEPU_ALERT_WORKING_HOURS": "always", "KEPU_ALERT_WORKING_DAYS": "1-7", "PYTHONUNBUFFERED": "1",
           "COLUMNS": "250"}
    proc, _ = start_system(env)
    try:
        def sent_packs() -> list[dict]:
            deliveries = json.loads(kepu(env, "alert", "deliveries", "--json").stdout)
            return [d for d in deliveries if d["digest"].startswith("documents") and d["status"] == "sent"]

        (pack,) = eventually(sent_packs, timeout=60, every=1, what="the 2024Q1 pack delivered")
        assert (pack["org"], pack["digest"], pack["kind"]) == ("leading-group-office", "documents #1", "log")
        assert pack["title"] == "砀山县2024年第一季度调度会材料"
        assert LINE in (tmp_path / "log" / "alert-digests.log").read_text()
    finally:
        stop_system(proc)
