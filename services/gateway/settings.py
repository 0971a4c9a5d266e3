"""Settings of the gateway process alone (the gRPC server's limits, caches and certificate), read
from the same ``KEPU_*`` environment names as the shared ones (README "Configuration"). Where the
gateway listens (``KEPU_GRPC_HOST``/``_PORT``) stays shared: clients need it too."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEPU_", extra="ignore")

    grpc_workers: int = Field(32, ge=2, description="Gateway threads; each open call or stream holds one.")
    grpc_max_concurrent_rpcs: int = Field(64, ge=1, description="Calls beyond this get RESOURCE_EXHAUSTED.")
    grpc_max_watchers: int = Field(16, ge=0, description="Open WatchStatusChanges streams at most.")
    grpc_call_timeout: float = Field(15.0, gt=0, description="Seconds the gateway waits for a service.")
    grpc_max_message_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="Largest request or response.")
    grpc_keepalive_seconds: int = Field(60, ge=10, description="Server keepalive ping interval.")
    grpc_max_connection_idle_seconds: int = Field(600, ge=10, description="An idle connection is closed after.")
    grpc_request_wait: float = Field(10.0, gt=0, description="Seconds a call's request message may take to "
                                     "arrive; then the call is cancelled (idle streams hold no worker).")
    grpc_failed_sign_ins: int = Field(30, ge=1, description="Unknown tokens looked up per client address and "
                                      "minute; more get RESOURCE_EXHAUSTED.")
    grpc_token_cache_seconds: float = Field(5.0, ge=0, description="Seconds the gateway keeps who a token is: a "
                                            "revoked token stops working within this time.")
    grpc_refusal_cache_seconds: float = Field(30.0, ge=0, description="Seconds the gateway keeps an unknown "
                                              "token's refusal (a new token is a new random string).")
    grpc_plan_cache_seconds: float = Field(30.0, ge=0, description="Seconds the gateway keeps the plan: "
                                           "`kepu plan reload` shows on GetPlan within this time.")
    grpc_reflection: bool = Field(True, description="Serve gRPC server reflection (grpcurl, Postman).")
    grpc_tls_cert_file: Path | None = Field(None, description="PEM certificate: the gateway serves TLS.")
    grpc_tls_key_file: Path | None = Field(None, description="PEM private key of that certificate.")

    @model_validator(mode="after")
    def _tls_pair(self) -> "GatewaySettings":
        if (self.grpc_tls_cert_file is None) != (self.grpc_tls_key_file is None):
            raise ValueError("set both KEPU_GRPC_TLS_CERT_FILE and KEPU_GRPC_TLS_KEY_FILE, or neither")
        return self
