"""Notification channels of an organisation: what each kind needs, and how it is shown.

One definition used where a channel is added (organisations) and where it is used or listed
(notifications). Channel targets carry secrets (a robot's ``key``/``access_token`` in its URL,
DingTalk's signing secret): :func:`masked` is the only form that may be logged or listed.

Only the operator's command sees a channel in clear: it seals the target and the secret for
notifications (:func:`sealed_channel`, PyNaCl's public-key sealed boxes, with the public key
notifications answers ``public_key`` with), so organisations, the bus and both databases carry
ciphertext, and notifications alone can open it, when it delivers.
"""
from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from nacl.encoding import Base64Encoder
from nacl.public import PublicKey, SealedBox
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

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



SEAL_OVERHEAD = 48  # bytes a sealed box adds: the sender's one-time public key and the MAC


def public_key_of(text: str) -> PublicKey:
    """A base64 Curve25519 public key (what ``notifications.public_key`` answers); ValueError if not one."""
    try:
        return PublicKey(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError, TypeError):
        raise ValueError(f"{text[:60]!r} is not a public key (32 bytes, base64)") from None


def seal(public_key: str, clear: str) -> str:
    """``clear`` sealed for the holder of ``public_key`` (base64): base64 text that only the private
    key opens; "" stays "" (no secret to hide)."""
    if not clear:
        return ""
    return SealedBox(public_key_of(public_key)).encrypt(clear.encode(), encoder=Base64Encoder).decode()


def _looks_sealed(value: str) -> str:
    """Base64 of at least a sealed box's overhead: catches clear text sent where ciphertext belongs."""
    if value:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("must be a sealed box (base64), sealed with notifications' public key") from None
        if len(raw) <= SEAL_OVERHEAD:
            raise ValueError("is too short to be a sealed box")
    return value


Sealed = Annotated[str, Field(max_length=12_000), AfterValidator(_looks_sealed)]


class SealedChannel(BaseModel):
    """A channel as organisations receives, keeps and publishes it: target and secret sealed for
    notifications, and the masked forms ``kepu org channel list`` shows (made by the command that
    still had the clear text)."""

    model_config = ConfigDict(extra="forbid")

    kind: ChannelKind
    sealed_target: Sealed = Field(min_length=1)
    sealed_secret: Sealed = ""
    target_shown: str = Field(max_length=2000)
    secret_shown: str = Field("", max_length=40)
    label: str = Field("", max_length=200)


def sealed_channel(spec: ChannelSpec, public_key: str) -> SealedChannel:
    """What the operator's command sends organisations for ``spec``: nothing in clear but the label."""
    return SealedChannel(kind=spec.kind, sealed_target=seal(public_key, spec.target),
                         sealed_secret=seal(public_key, spec.secret), target_shown=masked(spec.kind, spec.target),
                         secret_shown=mask_secret(spec.secret), label=spec.label)
