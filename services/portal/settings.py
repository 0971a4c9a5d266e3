"""Settings of the web portal process alone, read from the same ``KEPU_*`` names as the shared
ones (README "Configuration"). Where it listens (``KEPU_PORTAL_PORT``) and the address people
use (``KEPU_PORTAL_URL``) are shared: ``kepu org user add`` prints links to it."""
from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PortalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEPU_", extra="ignore")

    portal_host: str = Field("127.0.0.1", description="Address the portal binds (0.0.0.0 behind a proxy).")
    portal_secure_cookies: bool | None = Field(None, description="Mark the session cookie Secure; empty: when "
                                               "KEPU_PORTAL_URL starts with https://.")
    portal_trusted_proxies: str = Field("127.0.0.1", description="Proxies whose X-Forwarded-For/-Proto are "
                                        "believed (the person's address limits failed sign-ins).")
    portal_call_timeout: float = Field(20.0, gt=0, description="Seconds the portal waits for the gateway.")
    portal_page_size: int = Field(20, ge=5, le=200, description="Activities per page of 我的记录.")
    portal_upload_max_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="Largest workbook a person may "
                                         "upload.")
    portal_import_batch: int = Field(200, ge=1, le=1000, description="Rows sent to the gateway per call while "
                                     "importing (the progress bar moves per batch).")
    portal_import_keep_minutes: int = Field(60, ge=1, description="How long a checked upload waits for its "
                                            "confirmation (kept in the portal's memory only).")
