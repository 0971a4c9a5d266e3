"""docker-compose.yml is for users' hosts (no engine here): check it against the code instead —
every build context, command, module, mounted file and port it names must exist and agree with
the settings; secrets come from .env (never committed); only the gateway and Grafana are published."""
from __future__ import annotations

import importlib
import re

import yaml

from libs.common.settings import METRICS_OFFSETS, REPO_ROOT, SERVICES, Settings
from libs.localenv.broker_access import USERS
from services.gateway.settings import GatewaySettings
from services.notifications.settings import NotificationSettings
from services.organisations.settings import OrganisationSettings
from services.portal.settings import PortalSettings

TEXT = (REPO_ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(TEXT)
SERVICES_ = COMPOSE["services"]
KEPU = {"organisations", "activities", "indicators", "notifications", "gateway"}


def test_the_whole_stack_is_there():
    assert set(SERVICES_) == {"rabbitmq", "broker-setup", "postgres", *SERVICES, "gateway", "portal",
                              "prometheus", "alertmanager", "grafana", "cli"}


def test_every_kepu_container_has_a_real_entry_point_and_health_check():
    for name in SERVICES:
        assert SERVICES_[name]["command"][-2:] == ["libs.common.service_runner", name]
        importlib.import_module(f"services.{name}.service")
    assert SERVICES_["gateway"]["command"][-1] == "services.gateway.server"
    importlib.import_module("services.gateway.server")
    importlib.import_module("services.portal.server")
    assert SERVICES_["cli"]["command"][0] == "kepu"
    for name in KEPU:
        check = SERVICES_[name]["healthcheck"]["test"]
        assert check[-2:] == ["libs.common.healthcheck", name], f"{name} checks {check}"
        importlib.import_module(check[-2])


def test_every_container_restarts_and_is_checked():
    for name, svc in SERVICES_.items():
        if name in ("broker-setup", "cli"):  # one-shots: set-up, and operators' commands
            assert svc["restart"] == "no"
            continue
        assert svc["restart"] == "unless-stopped", name
        assert "healthcheck" in svc, name


def test_build_contexts_and_mounted_files_exist():
    build = SERVICES_["gateway"]["build"]
    assert (REPO_ROOT / build["context"] / build["dockerfile"]).exists()
    for name, svc in SERVICES_.items():
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO_ROOT / source).exists(), f"{name} mounts {source}, which does not exist"
            else:
                assert source in COMPOSE["volumes"], f"{name}: volume {source} is not declared"


def test_compose_environment_names_only_real_settings():
    fields = {f"KEPU_{name.upper()}" for name in (*Settings.model_fields, *NotificationSettings.model_fields,
                                                  *GatewaySettings.model_fields, *OrganisationSettings.model_fields,
                                                  *PortalSettings.model_fields)}
    fields |= {"KEPU_BROKER_ADMIN_API", *(f"KEPU_BROKER_PASSWORD_{u.upper()}" for u in USERS)}  # broker_access
    for name, svc in SERVICES_.items():
        for var in (svc.get("environment") or {}):
            if var.startswith("KEPU_"):
                assert var in fields, f"{name}: {var} is not a setting"
    dockerfile = (REPO_ROOT / "deploy/docker/Dockerfile").read_text()
    for var in ("KEPU_VAR_DIR", "KEPU_MANAGE_BROKER", "KEPU_METRICS_HOST", "KEPU_GRPC_HOST"):
        assert var in dockerfile and var in fields
    # the gateway lays out the office's PDFs: pango and a CJK font must be in the image
    from services.reports.render.charts import CJK_FONT

    assert "fonts-noto-cjk" in dockerfile and "libpangoft2-1.0-0" in dockerfile and "noto" in CJK_FONT
    plan = COMPOSE["x-kepu"]["environment"]["KEPU_PLAN_FILE"].removeprefix("/app/")
    assert (REPO_ROOT / plan).exists()


def test_ports_agree_with_the_settings_and_prometheus():
    settings = Settings(replica=0)
    assert SERVICES_["gateway"]["ports"] == [f"${{KEPU_GRPC_PUBLISHED_PORT:-{settings.grpc_port}}}:{settings.grpc_port}"]
    assert COMPOSE["x-kepu"]["environment"]["KEPU_METRICS_PORT_BASE"] == str(settings.metrics_port_base)
    prometheus = yaml.safe_load((REPO_ROOT / "deploy/prometheus/prometheus.yml").read_text())
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in prometheus["scrape_configs"]}
    for name in METRICS_OFFSETS:
        assert targets[f"kepu-{name}"] == [f"{name}:{settings.metrics_port(name)}"]
    rabbit_conf = (REPO_ROOT / "deploy/rabbitmq/rabbitmq.conf").read_text()
    rabbit_port = re.search(r"prometheus.tcp.port = (\d+)", rabbit_conf)[1]
    assert targets["rabbitmq"] == [f"rabbitmq:{rabbit_port}"]
    assert prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]


def test_secrets_come_from_an_env_file_that_is_not_committed():
    example = (REPO_ROOT / "deploy/env.example").read_text()
    for secret in set(re.findall(r"\$\{(\w+):\?", TEXT)):
        assert f"{secret}=" in example, f"{secret} is missing from deploy/env.example"
    for name, svc in [("x-kepu", COMPOSE["x-kepu"]), *SERVICES_.items()]:
        for var, value in (svc.get("environment") or {}).items():
            if re.search(r"PASS|SECRET", var):
                assert str(value).startswith("${"), f"{name}: {var} is written into the file"
            for password in re.findall(r"://[^:/@]+:([^@]+)@", str(value)):
                assert password.startswith("${"), f"{name}: {var} carries a password written into the file"
    ignored = (REPO_ROOT / ".gitignore").read_text().split()
    assert ".env" in ignored and "alerts.env" in ignored


def test_only_the_gateway_the_portal_and_grafana_are_published():
    published = {name for name, svc in SERVICES_.items() if svc.get("ports")}
    assert published == {"gateway", "portal", "grafana"}  # no management port, no broker, no database


def test_the_portal_holds_no_rights_of_its_own():
    """It reaches the data only through the gateway, as the signed-in person: no broker user, no
    database, and its health check is its own."""
    portal = SERVICES_["portal"]
    assert portal["command"] == ["python", "-m", "services.portal.server"]
    environment = portal["environment"]
    assert "KEPU_AMQP_URI" not in environment and "KEPU_AMQP_URI" not in COMPOSE["x-kepu"]["environment"]
    assert environment["KEPU_GRPC_HOST"] == "gateway" and environment["KEPU_PORTAL_HOST"] == "0.0.0.0"
    assert portal["healthcheck"]["test"][-1] == "portal"
    assert portal["ports"] == [f"${{KEPU_PORTAL_PUBLISHED_PORT:-{Settings().portal_port}}}:{Settings().portal_port}"]


def test_grafana_is_provisioned_with_the_generated_dashboards():
    mounts = dict(v.split(":")[:2] for v in SERVICES_["grafana"]["volumes"] if v.startswith("./"))
    assert mounts["./deploy/grafana/dashboards"] == "/var/lib/grafana/dashboards"
    provider = yaml.safe_load((REPO_ROOT / "deploy/grafana/provisioning/dashboards/kepu.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    source = yaml.safe_load((REPO_ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
    assert source["datasources"][0]["url"] == "http://prometheus:9090"


def test_each_service_connects_to_the_broker_as_its_own_user():
    setup = SERVICES_["broker-setup"]
    assert setup["command"][-1] == "libs.localenv.broker_access"
    importlib.import_module("libs.localenv.broker_access")
    assert {f"KEPU_BROKER_PASSWORD_{u.upper()}" for u in USERS} <= set(setup["environment"])
    assert SERVICES_["cli"]["environment"]["KEPU_AMQP_URI"].startswith("amqp://operator:${")
    for user in (u for u in USERS if u != "operator"):
        uri = SERVICES_[user]["environment"]["KEPU_AMQP_URI"]
        assert uri.startswith(f"amqp://{user}:${{KEPU_BROKER_PASSWORD_{user.upper()}:?"), uri
        assert SERVICES_[user]["depends_on"]["broker-setup"] == {"condition": "service_completed_successfully"}


def test_only_the_notifications_container_is_given_the_alert_settings_and_smtp_password():
    alerts = {f"KEPU_{name.upper()}" for name in NotificationSettings.model_fields}
    for name, svc in [("x-kepu", COMPOSE["x-kepu"]), *SERVICES_.items()]:
        assert not alerts & set(svc.get("environment") or {}), f"{name} is given notifications' settings"
    assert [svc for svc in SERVICES_.values() if svc.get("env_file")] == [SERVICES_["notifications"]]
    assert "smtp_password" not in Settings().nameko_config()["KEPU"]


def test_the_gateway_s_server_settings_are_its_own():
    """Only the gateway reads its limits, caches and certificate; clients share where it listens."""
    assert {"grpc_workers", "grpc_tls_key_file", "grpc_token_cache_seconds"} <= set(GatewaySettings.model_fields)
    assert not {"grpc_workers", "grpc_tls_key_file"} & set(Settings.model_fields)
    assert {"grpc_host", "grpc_port", "grpc_ca_file"} <= set(Settings.model_fields)
