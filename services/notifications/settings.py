"""Settings of the notifications process alone, read from the same ``KEPU_*`` environment names
as the shared ones (README "Configuration"). Only this process builds them, so only it reads the
SMTP password and the channel key; the validators parse text and read no file.

In a nameko container they come from ``config[CONFIG_KEY]`` when the caller put them there (tests
shorten the timing so), else from the environment.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.notifications.domain.deliveries import RetryPolicy
from services.notifications.domain.digests import Timing
from services.notifications.domain.schedule import WorkingHours, parse_days, parse_hours, zone

CONFIG_KEY = "KEPU_NOTIFICATIONS"


class AlertRoute(BaseModel):
    """Extra recipients of alerts: of one indicator, of one severity, or both (KEPU_ALERT_ROUTES)."""

    indicator: str | None = None
    severity: Literal["warning", "critical"] | None = None
    to: list[str] = Field(min_length=1)


class WorkingHoursSettings(BaseSettings):
    """When digests may go out: all ``kepu run`` needs to say when the next one can."""

    model_config = SettingsConfigDict(env_prefix="KEPU_", extra="ignore")

    alert_timezone: str = Field("Asia/Shanghai", description="The county's time zone, for working hours.")
    alert_working_hours: str = Field("09:00-18:00", description="When digests go out (HH:MM-HH:MM, county time); "
                                     "'always' for any time.")
    alert_working_days: str = Field("china", description="Days digests go out on: 'china' (China's working days: "
                                    "no digest on a public holiday, one on a 调休 make-up working day), or ISO "
                                    "weekdays (1-5 = Monday to Friday).")

    @field_validator("alert_working_hours", "alert_working_days", "alert_timezone")
    @classmethod
    def _schedule(cls, value: str, info) -> str:
        """A typo stops the start with the setting's name, instead of silencing alerts later."""
        {"alert_working_hours": parse_hours, "alert_working_days": parse_days, "alert_timezone": zone}[
            info.field_name](value)  # one parser for check and use
        return value

    def working_hours(self) -> WorkingHours:
        return WorkingHours.from_settings(self.alert_timezone, self.alert_working_hours, self.alert_working_days)


class NotificationSettings(WorkingHoursSettings):
    """Digests per recipient organisation, modelled on Prometheus Alertmanager's grouping, and
    their delivery over each channel."""

    alert_group_wait: float = Field(60.0, ge=0, description="Seconds a department's first new alert waits for "
                                    "others before its digest goes out.")
    alert_group_interval: float = Field(600.0, ge=0, description="Seconds between two digests of news to one "
                                        "department.")
    alert_repeat_interval: float = Field(7 * 86400.0, gt=0, description="Seconds after which alerts still "
                                         "firing are sent again as a reminder.")
    alert_round_interval: float = Field(5.0, gt=0, description="Seconds between digest rounds.")
    alert_lookback_days: int = Field(90, ge=0, description="A window that closed longer ago than this, or before "
                                     "monitoring began, is history: summarised once to the office, not sent.")
    alert_routes: list[AlertRoute] = Field(default_factory=list, description="JSON list of {indicator, severity, "
                                           "to}: further recipients.")
    alert_external_url: str = Field("", description="Link put in webhook payloads (e.g. the Grafana URL).")
    alertmanager_url: str = Field("", description="Also push every alert to this Prometheus Alertmanager.")
    delivery_retry_base: float = Field(30.0, gt=0, description="Seconds before the first retry of a delivery; "
                                       "doubled each time, with jitter.")
    delivery_retry_cap: float = Field(3600.0, gt=0, description="Longest pause between two attempts.")
    delivery_attempts: int = Field(8, ge=1, description="Attempts before a delivery is parked.")
    delivery_timeout: float = Field(15.0, gt=0, description="Seconds one attempt may take.")
    delivery_concurrency: int = Field(16, ge=1, description="Deliveries sent at the same time, at most.")
    smtp_host: str = Field("", description="Mail server for email channels ('' = email channels fail).")
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = "kepu-monitor@localhost"
    smtp_ca_file: Path | None = Field(None, description="PEM CA to trust for STARTTLS (default: the system's).")
    channel_private_key: SecretStr = Field(SecretStr(""), description="notifications' private key for channel "
                                           "secrets (base64; services/notifications/keys.py); '' = the key file.")
    channel_key_file: Path | None = Field(None, description="File of that key, made owner-only on the first start "
                                          "(default: KEPU_VAR_DIR/keys/notifications-channels.key).")

    def timing(self) -> Timing:
        return Timing.of_seconds(self.alert_group_wait, self.alert_group_interval, self.alert_repeat_interval)

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.delivery_retry_base, self.delivery_retry_cap, self.delivery_attempts)

    def site_channels(self) -> tuple[tuple[str, str], ...]:
        """(channel key, kind) every digest also goes to: the log, and a site-wide Alertmanager if set."""
        return (("log", "log"), *((("alertmanager", "alertmanager"),) if self.alertmanager_url else ()))

    def key_file(self, var_dir: Path) -> Path:
        return self.channel_key_file or var_dir / "keys" / "notifications-channels.key"

    def nameko_config(self) -> dict:
        """These settings for a container's config (tests): the secrets themselves, not stars."""
        return {CONFIG_KEY: self.model_dump(mode="json") | {
            "smtp_password": self.smtp_password.get_secret_value(),
            "channel_private_key": self.channel_private_key.get_secret_value()}}

    @classmethod
    def from_config(cls, config: dict) -> "NotificationSettings":
        """The settings a container was given, else the environment's (``kepu run``, compose)."""
        return cls(**config.get(CONFIG_KEY, {}))
