"""docker-compose.yml is for users' hosts (no engine here): check it against the code instead."""
from __future__ import annotations

import importlib

import yaml

from libs.common.settings import REPO_ROOT, SERVICES, Settings

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


def test_every_service_and_the_gateway_has_a_container_with_a_real_entry_point():
    services = COMPOSE["services"]
    assert set(services) == {"rabbitmq", *SERVICES, "gateway"}
    for name in SERVICES:
        assert services[name]["command"][-2:] == ["libs.common.service_runner", name]
        importlib.import_module(f"services.{name}.service")
    assert services["gateway"]["command"][-1] == "services.gateway.server"


def test_compose_environment_names_only_real_settings():
    fields = {f"KEPU_{name.upper()}" for name in Settings.model_fields}
    for name, svc in COMPOSE["services"].items():
        for var in (svc.get("environment") or {}):
            if var.startswith("KEPU_"):
                assert var in fields, f"{name}: {var} is not a setting"
    dockerfile = (REPO_ROOT / "deploy/docker/Dockerfile").read_text()
    for var in ("KEPU_VAR_DIR", "KEPU_MANAGE_BROKER", "KEPU_METRICS_HOST", "KEPU_GRPC_HOST"):
        assert var in dockerfile and var in fields
    plan = COMPOSE["x-kepu"]["environment"]["KEPU_PLAN_FILE"].removeprefix("/app/")
    assert (REPO_ROOT / plan).exists()
