"""Payload builders and secret scrubbing of the channel senders (no network)."""
from __future__ import annotations

import datetime as dt

from services.notifications.channels import (
    Target,
    alertmanager_alerts,
    dingtalk_sign,
    scrub,
    truncated,
    wecom_payload,
)
from services.notifications.domain.deliveries import Job

NOW = dt.datetime(2025, 10, 13, 2, tzinfo=dt.timezone.utc)


def job(severity: str = "warning", text: str = "短信") -> Job:
    item = {"indicator": "caravan-tours", "indicator_name": "科普大篷车巡展", "window": "2025", "scope": "dangshan",
            "state": "firing", "status": "missed" if severity == "critical" else "lagging", "severity": severity,
            "opened_at": "2025-10-01T00:00:00+00:00", "resolved_at": None, "text": text}
    return Job(1, "kepu-cast-news-1-ab12cd34-channel-1", "cast", "channel-1", "webhook", 1,
               {"title": "T", "text": text, "items": [item]}, NOW)


def test_secrets_never_survive_in_an_error_message():
    target = Target("webhook", "https://hooks:pa55word-xyz@tools.example.cn/services/T0AAA/B0BBB/XXXXsecretXXXXsecret?"
                               "token=abcdef123456")
    error = ("ConnectionError: HTTPSConnectionPool(host='tools.example.cn'): Max retries exceeded with url: "
             "/services/T0AAA/B0BBB/XXXXsecretXXXXsecret?token=abcdef123456 (pa55word-xyz)")
    cleaned = scrub(error, target)
    assert "abcdef123456" not in cleaned and "XXXXsecretXXXXsecret" not in cleaned and "pa55word-xyz" not in cleaned
    assert "tools.example.cn" in cleaned  # still says where
    assert "SECabc" not in scrub("bad sign SECabcdefgh", Target("dingtalk", "https://x/robot/send", "SECabcdefgh"))


def test_a_missed_window_ends_its_lagging_twin_in_alertmanager():
    warning_twin, = [a for a in alertmanager_alerts(job("critical"), NOW, dt.timedelta(days=8), "")
                     if a["labels"]["severity"] == "warning"]
    assert warning_twin["endsAt"] == "2025-10-13T02:00:00Z"
    (firing,) = alertmanager_alerts(job("warning"), NOW, dt.timedelta(days=8), "")
    assert firing["endsAt"] == "2025-10-21T02:00:00Z" and firing["startsAt"] == "2025-10-01T00:00:00Z"


def test_robot_messages_are_cut_to_their_limits_on_a_character_boundary():
    long = job(text="科普" * 3000)
    content = wecom_payload(long)["markdown"]["content"]
    assert len(content.encode()) <= 4096 and content.endswith("完整内容见 `kepu alert list`）")
    assert truncated("短", 10) == "短"


def test_dingtalk_signature_is_the_documented_one_url_encoded():
    from urllib.parse import unquote_plus

    from tests.receivers.http import dingtalk_signature  # written from DingTalk's documentation

    sign = dingtalk_sign("SECxyz", 1700000000000)
    assert unquote_plus(sign) == dingtalk_signature("SECxyz", "1700000000000")
    assert sign != dingtalk_sign("SECxyz", 1700000000001)
