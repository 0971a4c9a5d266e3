"""Alerts as a county sees them: `kepu run` on a late date, channels added with `kepu org channel`,
digests arriving at a real webhook receiver, silences and deliveries listed by the CLI."""
from __future__ import annotations

import json
import os
import re

import pytest

from libs.common.events import ORG_CHANNEL_CHANGED
from libs.localenv.ports import free_port, free_range
from tests.e2e.system import handled, kepu, metric, start_system, stop_system
from tests.eventually import eventually
from tests.receivers.http import WECOM_KEY

pytestmark = pytest.mark.e2e


def test_a_late_start_summarises_history_once_then_departments_get_digests(rabbit_config, tmp_path, http_receiver):
    env = {**os.environ, "KEPU_AMQP_URI": rabbit_config["AMQP_URI"], "KEPU_MANAGE_BROKER": "false",
           "KEPU_VAR_DIR": str(tmp_path), "KEPU_GRPC_PORT": str(free_port()),
           "KEPU_METRICS_PORT_BASE": str(free_range(6)), "KEPU_AS_OF": "2024-01-10", "KEPU_EVALUATE_INTERVAL": "3600",
           "KEPU_ALERT_GROUP_WAIT": "0", "KEPU_ALERT_GROUP_INTERVAL": "0", "KEPU_ALERT_ROUND_INTERVAL": "0.5",
           "KEPU_ALERT_WORKING_HOURS": "always", "KEPU_ALERT_WORKING_DAYS": "1-7", "PYTHONUNBUFFERED": "1",
           "COLUMNS": "250"}
    proc, banner = start_system(env)
    try:
        history = eventually(lambda: [d for d in json.loads(kepu(env, "alert", "deliveries", "--json").stdout)
                                      if d["digest"].startswith("history")], what="the history summary")
        assert len(history) == 1 and history[0]["org"] == "leading-group-office" and history[0]["kind"] == "log"
        assert history[0]["title"].startswith("【历史窗口汇总】监测开始（2024年1月10日）前已结束的")

        channels_before = handled(env, "notifications", ORG_CHANNEL_CHANGED)
        kepu(env, "org", "channel", "add", "cast", "webhook", http_receiver.url("webhook"), "--label", "值班系统")
        kepu(env, "org", "channel", "add", "cast", "wecom", http_receiver.url("wecom"))
        listed = kepu(env, "org", "channel", "list", "--org", "cast").stdout
        assert "值班系统" in listed and WECOM_KEY not in listed and WECOM_KEY[:4] + "…" in listed
        bad = kepu(env, "org", "channel", "add", "cast", "email", "not-an-address", check=False)
        assert bad.returncode != 0 and "target" in bad.stderr + bad.stdout

        eventually(lambda: handled(env, "notifications", ORG_CHANNEL_CHANGED) >= channels_before + 2,
                   what="both channels applied by notifications")  # before any alert fires
        # half a year on: the year's windows lag; the first quarter's window, closed on March 31, stays
        # inside the 90 days' look-back (on June 30 it would turn history and, 15 s later, make a second
        # summary that only a slow run lives to see)
        kepu(env, "indicators", "evaluate", "--as-of", "2024-06-28")
        hooks = eventually(lambda: http_receiver.of("webhook"), what="cast's digest at its webhook")
        assert http_receiver.problems == []
        assert hooks[0].body["receiver"] == "kepu-cast" and hooks[0].body["status"] == "firing"
        windows = {a["labels"]["window"] for a in hooks[0].body["alerts"]}
        assert windows and not {w for w in windows if w[:4] in ("2021", "2022", "2023") and "-" not in w}, windows
        eventually(lambda: http_receiver.of("wecom"), what="cast's digest in its WeCom group")

        indicator = hooks[0].body["alerts"][0]["labels"]["indicator"]
        made = kepu(env, "alert", "silence", "--indicator", indicator, "--for", "3d", "--reason", "车辆检修，下月补齐")
        assert f"indicator {indicator}" in made.stdout
        silences = json.loads(kepu(env, "alert", "silences", "--json").stdout)
        assert [s["indicator"] for s in silences] == [indicator] and silences[0]["active"]
        token = kepu(env, "org", "token", "leading-group-office", "--role", "admin").stdout.strip()
        listed = json.loads(kepu(env, "alert", "list", "--token", token, "--json").stdout)
        assert {a["window"] for a in listed if a.get("historical")} >= {"2021", "2022", "2023"}
        assert {a["indicator"] for a in listed if a.get("silenced_until")} == {indicator}
        assert {a.get("severity") for a in listed} == {"warning", "critical"}
        no_target = kepu(env, "alert", "silence", "--for", "1h", "--reason", "all of it", check=False)
        assert no_target.returncode != 0 and "name an alert" in no_target.stderr + no_target.stdout

        assert metric(env, "notifications", 'kepu_alert_deliveries_total{channel="webhook",outcome="sent"}') >= 1
        assert metric(env, "notifications", 'kepu_alert_delivery_latency_seconds_count{channel="wecom"}') >= 1
        assert eventually(lambda: metric(env, "notifications", 'kepu_alerts_firing{org="cast",region="dangshan",severity="warning"}'),
                          what="the firing gauge") >= 1
        deliveries = kepu(env, "alert", "deliveries").stdout
        assert "cast" in deliveries and "webhook" in deliveries and "sent" in deliveries
        assert "0 parked" in kepu(env, "alert", "deliveries", "retry").stdout.replace("0 parked deliveries", "0 parked")
    finally:
        out = banner + stop_system(proc)
    assert "digests: 1 history, to 1 organisations" in out, out
    assert "alert open: " not in out, out  # one line per batch, and the past as one summary: no flood
    texts = (tmp_path / "log" / "alert-digests.log").read_text(encoding="utf-8")
    assert texts.count("【历史窗口汇总】") == 1 and "【科普工作预警】县科协" in texts  # the whole words, in their file
    assert len(re.findall(r"kepu-leading-group-office-history-1-[0-9a-f]{8}-log", texts)) == 1
    assert "新情况" not in out and "【科普工作预警】" not in out  # one line a round on screen, the lists in the file
