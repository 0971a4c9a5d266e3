"""The project-local Prometheus that ``kepu run`` starts (Debian's ``prometheus``): loopback
only, data under ``var/``, the same rules as production (``deploy/prometheus/rules``), scraping
every process of this run (replicas included) and the project-local RabbitMQ node."""
from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from libs.common.settings import METRICS_OFFSETS, REPO_ROOT, SERVICES, Settings

RULES = REPO_ROOT / "deploy" / "prometheus" / "rules"


def scrape_config(settings: Settings, rabbit_metrics_ports: list[int], scrape_interval: str = "5s") -> dict:
    """Prometheus configuration for this machine's processes, as ``deploy/prometheus/prometheus.yml``
    is for the compose stack (same job names, so rules and dashboards read both alike)."""
    jobs = []
    for name in METRICS_OFFSETS:
        targets = [f"{settings.metrics_host}:{settings.metrics_port(name, r)}"
                   for r in range(settings.replicas if name in SERVICES else 1)]
        jobs.append({"job_name": f"kepu-{name}", "static_configs": [{"targets": targets}]})
    if rabbit_metrics_ports:  # every node of a cluster
        rabbit = [{"targets": [f"127.0.0.1:{port}" for port in rabbit_metrics_ports]}]
        jobs += [{"job_name": "rabbitmq", "static_configs": rabbit},
                 {"job_name": "rabbitmq-queues", "metrics_path": "/metrics/per-object", "static_configs": rabbit}]
    return {"global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval,
                       "external_labels": {"site": "kepu-local"}},
            "rule_files": [str(RULES / "*.yml")], "scrape_configs": jobs}


def binary() -> str:
    found = shutil.which("prometheus")
    if found is None:
        raise SystemExit("prometheus is not installed: run `make setup` (it installs Debian's prometheus), "
                         "or set KEPU_PROMETHEUS=false")
    return found


def command(settings: Settings, rabbit_metrics_ports: list[int]) -> list[str]:
    """Write the configuration under var/ and return the command line that serves it."""
    folder = settings.var_dir / "run" / "prometheus"
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "prometheus.yml"
    config.write_text(yaml.safe_dump(scrape_config(settings, rabbit_metrics_ports), sort_keys=False))
    data = settings.var_dir / "prometheus"
    return [binary(), f"--config.file={config}", f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{settings.prometheus_port}", "--storage.tsdb.retention.time=30d",
            "--log.level=warn"]


def url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.prometheus_port}"


def config_path(settings: Settings) -> Path:
    return settings.var_dir / "run" / "prometheus" / "prometheus.yml"
