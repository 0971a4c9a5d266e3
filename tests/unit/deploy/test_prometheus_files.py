"""deploy/prometheus: the configuration, rules and rule tests, checked by Debian's promtool, and
held against the metrics the code exports (a rule on a metric nobody exports never fires)."""
from __future__ import annotations

import importlib
import re
import subprocess

import pytest
import yaml
from prometheus_client import REGISTRY

from libs.common.settings import METRICS_OFFSETS, REPO_ROOT, SERVICES, Settings
from libs.localenv.prometheus import scrape_config

PROM = REPO_ROOT / "deploy" / "prometheus"
RULE_FILES = sorted((PROM / "rules").glob("*.yml"))


def promtool(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_every_rule_file_is_valid():
    promtool("check", "rules", *map(str, RULE_FILES))


def test_every_recording_and_alerting_rule_passes_its_unit_tests():
    promtool("test", "rules", str(PROM / "tests" / "rules_test.yml"))


def test_every_rule_has_a_unit_test():
    tests = (PROM / "tests" / "rules_test.yml").read_text()
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                name = rule.get("record") or rule["alert"]
                assert name in tests, f"{path.name}: {name} has no test in rules_test.yml"


def test_the_production_configuration_is_valid_and_scrapes_every_process():
    promtool("check", "config", str(PROM / "prometheus.yml"))
    config = yaml.safe_load((PROM / "prometheus.yml").read_text())
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    settings = Settings(replica=0)
    for name in METRICS_OFFSETS:
        assert targets[f"kepu-{name}"] == [f"{name}:{settings.metrics_port(name)}"]


def test_the_local_configuration_is_valid_and_scrapes_every_replica(tmp_path):
    settings = Settings(replicas=2)
    config = scrape_config(settings, rabbit_metrics_ports=[15702])
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    promtool("check", "config", str(path))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {f"kepu-{n}" for n in METRICS_OFFSETS} | {"rabbitmq", "rabbitmq-queues"}
    assert len(jobs["kepu-indicators"]["static_configs"][0]["targets"]) == 2
    assert jobs["rabbitmq-queues"]["metrics_path"] == "/metrics/per-object"


def exported_samples() -> set[str]:
    for module in ("libs.common.metrics", *(f"services.{name}.metrics" for name in (*SERVICES, "gateway")
                                            if (REPO_ROOT / "services" / name / "metrics.py").exists())):
        importlib.import_module(module)
    names = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        names |= {family.name + suffix for suffix in ("_total", "_count", "_sum", "_bucket", "_created")}
    return names


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_rules_read_only_metrics_the_code_exports(path):
    known = exported_samples()
    for group in yaml.safe_load(path.read_text())["groups"]:
        for rule in group["rules"]:
            for metric in set(re.findall(r"\bkepu_[a-z_]+", rule["expr"])):
                assert metric in known, f"{rule.get('record') or rule['alert']} reads {metric}, which nothing exports"
