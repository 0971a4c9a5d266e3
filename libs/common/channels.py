"""Notification channels of an organisation: what each kind needs, and how it is shown.

One definition used where a channel is added (organisations) and where it is used or listed
(notifications). Channel targets carry secrets (a robot's ``key``/``access_token`` in its URL,
DingTalk's signing secret): :func:`masked` is the only form that may be logged or listed.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from libs.common.events import ChannelKind

_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
MAX_RECIPIENTS = 50

KIND_HELP = {
    "webhook": "URL that accepts Prometheus Alertmanager's webhook JSON (version 4)",
    "wecom": "企业微信 group robot URL (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…)",
    "dingtalk": "钉钉 group robot URL (https://oapi.dingtalk.com/robot/send?access_token=…); "
                "--secret SEC… if the robot signs requests",
    "email": "addresses, separated by commas",
    "alertmanager": "base URL of a Prometheus Alertmanager (alerts are pushed to /api/v2/alerts)",
}


class ChannelSpec(BaseModel):
    """A channel as an operator gives it (``kepu org channel add ORG KIND TARGET``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: ChannelKind
    target: str = Field(min_length=1, max_length=2000)
    secret: str = Field("", max_length=200)
    label: str = Field("", max_length=200)

    @field_validator("target", "secret", "label")
    @classmethod
    def _printable(cls, value: str) -> str:
        if any(ord(ch) < 32 for ch in value):
            raise ValueError("must not contain control characters")
        return value

    @model_validator(mode="after")
    def _target_fits_kind(self) -> "ChannelSpec":
        if self.kind == "email":
            addresses = email_addresses(self.target)
            bad = [a for a in addresses if not _EMAIL.match(a)]
            if not addresses or bad:
                raise ValueError(f"target: {', '.join(bad) or 'nothing'} is not an email address; "
                                 f"give addresses separated by commas")
            if len(addresses) > MAX_RECIPIENTS:
                raise ValueError(f"target: at most {MAX_RECIPIENTS} addresses per channel")
            self.target = ", ".join(addresses)
        else:
            parts = urlsplit(self.target)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"target: a {self.kind} channel needs an http(s) URL: {KIND_HELP[self.kind]}")
        if self.secret and self.kind != "dingtalk":
            raise ValueError("secret: only DingTalk robots sign requests with a secret")
        return self


def email_addresses(target: str) -> list[str]:
    return [a.strip() for a in re.split(r"[,;\s]+", target) if a.strip()]


def mask_secret(secret: str) -> str:
    """``SEC0123456789abcdef`` → ``SEC0…(19)``: enough to tell two apart, not to use one."""
    return f"{secret[:4]}…({len(secret)})" if secret else ""


def masked(kind: str, target: str) -> str:
    """A channel target fit for logs and listings: query values and passwords hidden."""
    if kind == "email":
        return target
    parts = urlsplit(target)
    netloc = parts.netloc
    if "@" in netloc:  # user:password@host
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = "&".join(f"{k}={mask_secret(v)}" for k, v in parse_qsl(parts.query, keep_blank_values=True))
    path = parts.path
    if kind in ("webhook", "alertmanager") and len(path) > 24:  # Slack-style secrets in the path
        path = path[:12] + "…"
    return urlunsplit((parts.scheme, netloc, path, query, ""))
