"""Settings of the organisations process alone (people's sessions and sign-in throttling), read
from the same ``KEPU_*`` environment names as the shared ones (README "Configuration").

In a nameko container they come from ``config[CONFIG_KEY]`` when the caller put them there (tests
shorten them so), else from the environment.
"""
from __future__ import annotations

import datetime as dt

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.organisations.domain import SessionLimits, SignInLimits

CONFIG_KEY = "KEPU_ORGANISATIONS"


class OrganisationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEPU_", extra="ignore")

    session_idle_hours: float = Field(8.0, gt=0, description="A person's session ends after this long without "
                                      "a call.")
    session_max_hours: float = Field(24.0, gt=0, description="A session ends this long after sign-in, however "
                                     "busy.")
    sign_in_failures_per_account: int = Field(5, ge=1, description="Failed sign-ins of one account within the "
                                              "window; beyond, RESOURCE_EXHAUSTED (a right password too).")
    sign_in_failures_per_address: int = Field(20, ge=1, description="Failed sign-ins from one client address "
                                              "within the window; beyond, RESOURCE_EXHAUSTED.")
    sign_in_window_minutes: float = Field(15.0, gt=0, description="The window failed sign-ins are counted in.")

    @property
    def session_limits(self) -> SessionLimits:
        return SessionLimits(idle=dt.timedelta(hours=self.session_idle_hours),
                             longest=dt.timedelta(hours=self.session_max_hours))

    @property
    def sign_in_limits(self) -> SignInLimits:
        return SignInLimits(per_account=self.sign_in_failures_per_account,
                            per_address=self.sign_in_failures_per_address,
                            window=dt.timedelta(minutes=self.sign_in_window_minutes))

    def nameko_config(self) -> dict:
        """These settings for a container's config (tests)."""
        return {CONFIG_KEY: self.model_dump(mode="json")}

    @classmethod
    def from_config(cls, config: dict) -> "OrganisationSettings":
        """The settings a container was given, else the environment's (``kepu run``, compose)."""
        return cls(**config.get(CONFIG_KEY, {}))
