"""Sending a digest over each kind of channel, in the format its receiver documents.

- webhook: Prometheus Alertmanager's webhook payload, version 4, so tools that accept
  Alertmanager's webhooks accept ours;
- wecom / dingtalk: group-robot markdown messages (DingTalk's signed requests when a secret is set);
- email: a plain-text mail over SMTP (STARTTLS and login from settings), with the digest's files
  attached (file names in Chinese encoded per RFC 2231);
- alertmanager: each alert pushed to an Alertmanager's ``POST /api/v2/alerts``;
- log: the digest in the service log (every digest, always).

Payload builders are pure functions (tested against the documented shapes); ``Sender`` does the
I/O. Errors never carry a channel's secrets (``scrub``).
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from urllib.parse import parse_qsl, quote_plus, urlsplit

import requests

from libs.common.channels import email_addresses, mask_secret
from services.notifications.domain.deliveries import ChannelFailed, Job, Target
from services.notifications.settings import NotificationSettings

log = logging.getLogger("kepu.alerts")
TEXT_LOG = logging.getLogger("kepu.alerts.text")  # the digests' whole text, to var/log/alert-digests.log
TEXT_LOG.propagate = False

ALERT_NAME = "KepuIndicatorBehind"
ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's "not ended" in webhook payloads
WECOM_MAX_BYTES = 4096  # the robot refuses longer markdown content
DINGTALK_MAX_BYTES = 18000
CUT = "\n……（内容过长已截断，完整内容见 `kepu alert list`）"


def labels(item: dict, org: str) -> dict[str, str]:
    return {"alertname": ALERT_NAME, "indicator": item["indicator"], "window": item["window"],
            "scope": item["scope"], "org": org, "severity": item["severity"]}


def fingerprint(label_set: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(label_set, sort_keys=True).encode()).hexdigest()[:16]


def _rfc3339(text: str | None) -> str:
    if not text:
        return ZERO_TIME
    moment = dt.datetime.fromisoformat(text)
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def annotations(item: dict) -> dict[str, str]:
    return {"summary": item["text"], "indicator_name": item["indicator_name"], "status": item["status"]}


def webhook_payload(job: Job, external_url: str) -> dict:
    """Alertmanager's webhook body, version 4
    (prometheus.io/docs/alerting/latest/configuration/#webhook_config)."""
    org, items = job.org, job.digest["items"]
    alerts = []
    for item in items:
        label_set = labels(item, org)
        alerts.append({
            "status": "resolved" if item["state"] == "resolved" else "firing",
            "labels": label_set, "annotations": annotations(item),
            "startsAt": _rfc3339(item["opened_at"]),
            "endsAt": _rfc3339(item["resolved_at"]) if item["state"] == "resolved" else ZERO_TIME,
            "generatorURL": external_url, "fingerprint": fingerprint(label_set),
        })
    common = dict(set.intersection(*(set(a["labels"].items()) for a in alerts))) if alerts else {}
    common_annotations = dict(set.intersection(*(set(a["annotations"].items()) for a in alerts))) if alerts else {}
    return {
        "version": "4", "groupKey": f'{{}}:{{org="{org}"}}', "truncatedAlerts": 0,
        "status": "firing" if any(a["status"] == "firing" for a in alerts) else "resolved",
        "receiver": f"kepu-{org}", "groupLabels": {"org": org}, "commonLabels": common,
        "commonAnnotations": common_annotations, "externalURL": external_url, "alerts": alerts,
        # not in Alertmanager's payload; receivers that know us read the digest whole
        "kepu": {"digest": job.key, "title": job.digest["title"], "text": job.digest["text"]},
    }


def alertmanager_alerts(job: Job, now: dt.datetime, keep_firing: dt.timedelta, external_url: str) -> list[dict]:
    """``postableAlerts`` for ``POST /api/v2/alerts``. A firing alert is given an end beyond the
    next reminder: each digest pushes it again, and if we stop, Alertmanager lets it lapse."""
    out = []
    for item in job.digest["items"]:
        resolved = item["state"] == "resolved"
        end = dt.datetime.fromisoformat(item["resolved_at"]) if resolved and item["resolved_at"] else now + keep_firing
        alert = {"labels": labels(item, job.org), "annotations": annotations(item),
                 "startsAt": _rfc3339(item["opened_at"]), "endsAt": _rfc3339(end.isoformat())}
        if external_url:
            alert["generatorURL"] = external_url
        out.append(alert)
        if item["severity"] == "critical":
            # severity is a label, so a lagging window gone missed is another alert to Alertmanager:
            # end the warning one now instead of letting it fire on until it lapses
            out.append({**alert, "labels": {**alert["labels"], "severity": "warning"},
                        "endsAt": _rfc3339(now.isoformat())})
    return out


def truncated(text: str, max_bytes: int) -> str:
    if len(text.encode()) <= max_bytes:
        return text
    budget = max_bytes - len(CUT.encode())
    return text.encode()[:budget].decode(errors="ignore") + CUT


def wecom_payload(job: Job) -> dict:
    """企业微信 group robot, markdown (developer.work.weixin.qq.com/document/path/91770)."""
    return {"msgtype": "markdown", "markdown": {"content": truncated(job.digest["text"], WECOM_MAX_BYTES)}}


def dingtalk_payload(job: Job) -> dict:
    """钉钉 group robot, markdown (open.dingtalk.com, 自定义机器人): a blank line between lines."""
    text = truncated(job.digest["text"], DINGTALK_MAX_BYTES).replace("\n", "\n\n")
    return {"msgtype": "markdown", "markdown": {"title": job.digest["title"], "text": text}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature: base64(HMAC-SHA256(secret, "timestamp\\nsecret")), URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def email_message(job: Job, sender: str, to: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = job.digest["title"]
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{job.key}@kepu-monitor>"  # the same on a resend: mail systems de-duplicate
    message.set_content(job.digest["text"])
    for file in job.files:
        maintype, subtype = file.content_type.split("/", 1)
        message.add_attachment(file.content, maintype=maintype, subtype=subtype, filename=file.filename)
    return message


def secrets_of(target: Target) -> list[str]:
    """Every part of a channel that may be a secret: query values, a password, long path
    segments (tokens in Slack-style URLs), the signing secret."""
    found = [target.secret] if target.secret else []
    if target.kind != "email" and target.target:
        parts = urlsplit(target.target)
        found += [v for _, v in parse_qsl(parts.query) if len(v) >= 4]
        if parts.password:
            found.append(parts.password)
        found += [segment for segment in parts.path.split("/") if len(segment) >= 16]
    return sorted(set(found), key=len, reverse=True)


def scrub(text: str, target: Target) -> str:
    """An error message without the channel's secrets."""
    for secret in secrets_of(target):
        text = text.replace(secret, mask_secret(secret)).replace(quote_plus(secret), mask_secret(secret))
    return text


class Sender:
    """Sends one delivery; raises ``ChannelFailed`` with a scrubbed reason."""

    def __init__(self, settings: NotificationSettings, org_name: Callable[[str], str], digest_file: Path):
        """``org_name``: an organisation's name in the plan the service holds now (or its code);
        ``digest_file``: where the digests' whole text goes."""
        self.settings = settings
        self.org_name = org_name
        self.http = requests.Session()
        self.digest_file = digest_file
        if not TEXT_LOG.handlers:
            self.digest_file.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(self.digest_file, encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%dT%H:%M:%S%z"))
            TEXT_LOG.addHandler(handler)
            TEXT_LOG.setLevel(logging.INFO)

    def send(self, job: Job, target: Target, now: dt.datetime) -> None:
        try:
            getattr(self, f"_{target.kind}")(job, target, now)
        except ChannelFailed as exc:
            raise ChannelFailed(scrub(str(exc), target)) from None
        except (requests.RequestException, OSError, smtplib.SMTPException, ValueError) as exc:
            raise ChannelFailed(scrub(f"{type(exc).__name__}: {exc}", target)) from None

    def _log(self, job: Job, target: Target, now: dt.datetime) -> None:
        """The title in the service log; the whole text in the digests file (a first start would
        otherwise fill the screen with every department's list)."""
        log.debug("digest %s to %s (%s): %s; the text is in %s", job.key, self.org_name(job.org), job.org,
                 job.digest["title"], self.digest_file)
        TEXT_LOG.info("%s  %s (%s)\n%s\n", job.key, self.org_name(job.org), job.org, job.digest["text"])

    def _post(self, url: str, body, job: Job) -> requests.Response:
        """POST JSON; the delivery's key goes along, so a receiver may drop a resend."""
        response = self.http.post(url, json=body, timeout=self.settings.delivery_timeout,
                                  headers={"X-Kepu-Delivery": job.key}, allow_redirects=False)
        if response.status_code >= 300:  # a redirect too: requests would re-send a POST as a GET
            where = f"{urlsplit(url).hostname}:{urlsplit(url).port or ''}"
            raise ChannelFailed(f"HTTP {response.status_code} from {where}: {response.text[:200]}")
        return response

    def _robot_reply(self, response: requests.Response) -> None:
        try:
            reply = response.json()
        except ValueError:
            raise ChannelFailed(f"robot answered something that is not JSON: {response.text[:200]}") from None
        if reply.get("errcode") != 0:
            raise ChannelFailed(f"robot refused the message: errcode {reply.get('errcode')}, {reply.get('errmsg')}")

    def _webhook(self, job: Job, target: Target, now: dt.datetime) -> None:
        self._post(target.target, webhook_payload(job, self.settings.alert_external_url), job)

    def _wecom(self, job: Job, target: Target, now: dt.datetime) -> None:
        self._robot_reply(self._post(target.target, wecom_payload(job), job))

    def _dingtalk(self, job: Job, target: Target, now: dt.datetime) -> None:
        url = target.target
        if target.secret:
            stamp = int(time.time() * 1000)
            url += f"{'&' if '?' in url else '?'}timestamp={stamp}&sign={dingtalk_sign(target.secret, stamp)}"
        self._robot_reply(self._post(url, dingtalk_payload(job), job))

    def _alertmanager(self, job: Job, target: Target, now: dt.datetime) -> None:
        keep = dt.timedelta(seconds=self.settings.alert_repeat_interval + 2 * self.settings.alert_group_interval + 3600)
        url = target.target.rstrip("/") + "/api/v2/alerts"
        self._post(url, alertmanager_alerts(job, now, keep, self.settings.alert_external_url), job)

    def _email(self, job: Job, target: Target, now: dt.datetime) -> None:
        s = self.settings
        if not s.smtp_host:
            raise ChannelFailed("no mail server: set KEPU_SMTP_HOST (and KEPU_SMTP_PORT, _USER, _PASSWORD)")
        to = email_addresses(target.target)
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.delivery_timeout) as smtp:
            if s.smtp_starttls:
                ca_file = str(s.smtp_ca_file) if s.smtp_ca_file else None
                smtp.starttls(context=ssl.create_default_context(cafile=ca_file))
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password.get_secret_value())
            refused = smtp.send_message(email_message(job, s.smtp_from, to))
        if refused:  # the others have it: a resend would double theirs, so say it and count it sent
            log.warning("mail %s: the server refused %s (the other recipients got it); correct the channel with "
                        "`kepu org channel`", job.key, ", ".join(refused))
