"""Settings of the gateway process alone (the gRPC server's limits, caches and certificate), read
from the same ``KEPU_*`` environment names as the shared ones (README "Configuration"). Where the
gateway listens (``KEPU_GRPC_HOST``/``_PORT``) stays shared: clients need it too."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEPU_", extra="ignore")

    grpc_workers: int = Field(32, ge=2, description="Threads calling the services (a nameko RPC blocks); a call "
                              "holds one while a service works on it, an open stream holds none.")
    grpc_max_concurrent_rpcs: int = Field(1024, ge=16, description="Calls and streams open at once; more get "
                                          "RESOURCE_EXHAUSTED.")
    grpc_max_streams: int = Field(256, ge=1, description="Open streams (health Watch, reflection, "
                                  "WatchStatusChanges) at most; fewer than KEPU_GRPC_MAX_CONCURRENT_RPCS.")
    grpc_streams_per_address: int = Field(8, ge=1, description="Open streams per client address (an IPv6 "
                                          "client: per /64); more get RESOURCE_EXHAUSTED.")
    grpc_streams_per_token: int = Field(4, ge=1, description="Open streams per token; more get RESOURCE_EXHAUSTED.")
    grpc_stream_idle_seconds: float = Field(300.0, gt=0, description="A stream with no message either way for "
                                            "this long is ended (CANCELLED); a watcher opens a new one.")
    grpc_max_watchers: int = Field(64, ge=0, description="Open WatchStatusChanges streams at most.")
    grpc_call_timeout: float = Field(15.0, gt=0, description="Seconds the gateway waits for a service.")
    grpc_max_message_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="Largest request or response.")
    grpc_keepalive_seconds: int = Field(60, ge=10, description="Server keepalive ping interval.")
    grpc_max_connection_idle_seconds: int = Field(600, ge=10, description="An idle connection is closed after.")
    grpc_request_wait: float = Field(10.0, gt=0, description="Seconds a call's (or a stream's first) request "
                                     "message may take to arrive; then the call is cancelled.")
    grpc_failed_sign_ins: int = Field(30, ge=1, description="Unknown tokens looked up per client address and "
                                      "minute; more get RESOURCE_EXHAUSTED.")
    grpc_token_cache_seconds: float = Field(5.0, ge=0, description="Seconds the gateway keeps who a token is: a "
                                            "revoked token stops working within this time.")
    grpc_refusal_cache_seconds: float = Field(30.0, ge=0, description="Seconds the gateway keeps an unknown "
                                              "token's refusal (a new token is a new random string).")
    grpc_plan_cache_seconds: float = Field(30.0, ge=0, description="Seconds the gateway keeps the plan: "
                                           "`kepu plan reload` shows on GetPlan within this time.")
    grpc_reflection: bool = Field(False, description="Serve gRPC server reflection (grpcurl, Postman); off "
                                  "unless turned on: it shows the whole API to anyone who connects.")
    pack_meeting_working_days: int = Field(10, ge=0, le=60, description="The quarter's 调度会 is held this many "
                                           "working days (China's calendar) after the quarter ends: from that day "
                                           "on the office gets the pack (PDF and XLSX) by its channels, once.")
    pack_courier_interval: float = Field(600.0, ge=0, description="Seconds between the gateway's looks for a "
                                         "pack that is due (the first a minute after start); 0 = deliver none.")
    grpc_tls_cert_file: Path | None = Field(None, description="PEM certificate: the gateway serves TLS.")
    grpc_tls_key_file: Path | None = Field(None, description="PEM private key of that certificate.")

    @model_validator(mode="after")
    def _tls_pair(self) -> "GatewaySettings":
        if (self.grpc_tls_cert_file is None) != (self.grpc_tls_key_file is None):
            raise ValueError("set both KEPU_GRPC_TLS_CERT_FILE and KEPU_GRPC_TLS_KEY_FILE, or neither")
        return self

    @model_validator(mode="after")
    def _streams_leave_room_for_calls(self) -> "GatewaySettings":
        if self.grpc_max_streams >= self.grpc_max_concurrent_rpcs:
            raise ValueError("KEPU_GRPC_MAX_STREAMS must be below KEPU_GRPC_MAX_CONCURRENT_RPCS, or open streams "
                             "could leave no room for reports")
        return self
