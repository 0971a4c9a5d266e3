"""One HTTP server standing in for a webhook tool, a 企业微信 robot and a 钉钉 robot.

Each endpoint checks a request the way the real receiver documents it and answers as it does
(robots: HTTP 200 with an ``errcode``). The checks are written from the documentation, not
from our sender, so a sender drifting from the format fails here.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DINGTALK_TOKEN = "c0ffee00c0ffee00c0ffee00c0ffee00"
DINGTALK_SECRET = "SEC7d3b1e4c6a0f2d9e8b5c4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1"

V4_KEYS = {"version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels", "commonLabels",
           "commonAnnotations", "externalURL", "alerts"}
V4_ALERT_KEYS = {"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}


@dataclass
class Received:
    kind: str  # webhook / wecom / dingtalk
    body: dict
    headers: dict


def _rfc3339(value) -> bool:
    try:
        dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


def webhook_v4_problems(body: dict) -> list[str]:
    """What does not match Alertmanager's webhook payload, version 4."""
    problems = []
    if set(body) - {"kepu"} != V4_KEYS:
        problems.append(f"keys {sorted(set(body))} are not the v4 keys")
        return problems
    if body["version"] != "4" or body["status"] not in ("firing", "resolved"):
        problems.append(f"version {body['version']!r} / status {body['status']!r}")
    if not isinstance(body["truncatedAlerts"], int) or not isinstance(body["groupKey"], str):
        problems.append("truncatedAlerts must be an int and groupKey a string")
    for name in ("groupLabels", "commonLabels", "commonAnnotations"):
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in body[name].items()):
            problems.append(f"{name} must map strings to strings")
    for alert in body["alerts"]:
        if set(alert) != V4_ALERT_KEYS:
            problems.append(f"alert keys {sorted(alert)}")
            continue
        if alert["status"] not in ("firing", "resolved") or not all(
                _rfc3339(alert[t]) for t in ("startsAt", "endsAt")):
            problems.append(f"alert status/time {alert['status']} {alert['startsAt']} {alert['endsAt']}")
        if not all(isinstance(v, str) for v in (*alert["labels"].values(), *alert["annotations"].values())):
            problems.append("labels and annotations must be strings")
    if not body["alerts"]:
        problems.append("no alerts")
    return problems


def dingtalk_signature(secret: str, timestamp: str) -> str:
    """DingTalk's documented signature (before URL encoding)."""
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


@dataclass
class HttpReceiver:
    """``fail_next``: answer this many requests with HTTP 503 (a receiver down for a while)."""

    received: list[Received] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    fail_next: int = 0
    refused: int = 0

    def start(self) -> "HttpReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                status, answer = receiver.handle(self.path, raw, dict(self.headers))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, kind: str) -> str:
        return {"webhook": f"{self.base}/hooks/kepu", "wecom": f"{self.base}/cgi-bin/webhook/send?key={WECOM_KEY}",
                "dingtalk": f"{self.base}/robot/send?access_token={DINGTALK_TOKEN}"}[kind]

    def of(self, kind: str) -> list[Received]:
        return [r for r in self.received if r.kind == kind]

    def handle(self, path: str, raw: bytes, headers: dict) -> tuple[int, dict]:
        if self.fail_next > 0:
            self.fail_next -= 1
            self.refused += 1
            return 503, {"error": "down for maintenance"}
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        try:
            body = json.loads(raw)
        except ValueError:
            self.problems.append(f"{path}: body is not JSON")
            return 400, {"error": "not JSON"}
        if parts.path == "/hooks/kepu":
            return self._accept("webhook", body, headers, webhook_v4_problems(body), 200, {"status": "ok"})
        if parts.path == "/cgi-bin/webhook/send":
            problems = [] if query.get("key") == WECOM_KEY else ["wrong key"]
            problems += self._markdown_problems(body, ("content",), 4096)
            return self._accept("wecom", body, headers, problems, 200, {"errcode": 0, "errmsg": "ok"},
                                {"errcode": 93000, "errmsg": "; ".join(problems)})
        if parts.path == "/robot/send":
            problems = [] if query.get("access_token") == DINGTALK_TOKEN else ["wrong access_token"]
            stamp, sign = query.get("timestamp", ""), query.get("sign", "")
            if not stamp.isdigit() or abs(time.time() * 1000 - int(stamp)) > 3600_000:
                problems.append(f"timestamp {stamp!r} is not within an hour of now")
            elif sign != dingtalk_signature(DINGTALK_SECRET, stamp):
                problems.append("sign not match")
            problems += self._markdown_problems(body, ("title", "text"), 20000)
            return self._accept("dingtalk", body, headers, problems, 200, {"errcode": 0, "errmsg": "ok"},
                                {"errcode": 310000, "errmsg": "; ".join(problems)})
        self.problems.append(f"POST to unknown path {parts.path}")
        return 404, {"error": "no such path"}

    @staticmethod
    def _markdown_problems(body: dict, fields: tuple[str, ...], max_bytes: int) -> list[str]:
        if set(body) != {"msgtype", "markdown"} or body.get("msgtype") != "markdown":
            return [f"not a markdown message: keys {sorted(body)}"]
        markdown = body["markdown"]
        if set(markdown) != set(fields) or not all(isinstance(markdown[f], str) and markdown[f] for f in fields):
            return [f"markdown needs exactly {fields}, got {sorted(markdown)}"]
        if any(len(markdown[f].encode()) > max_bytes for f in fields):
            return [f"markdown longer than {max_bytes} bytes"]
        return []

    def _accept(self, kind, body, headers, problems, status, ok, refusal=None):
        if problems:
            self.problems.extend(f"{kind}: {p}" for p in problems)
            return (status, refusal) if refusal else (400, {"error": "; ".join(problems)})
        self.received.append(Received(kind, body, headers))
        return status, ok
