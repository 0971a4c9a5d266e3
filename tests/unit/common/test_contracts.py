"""Shared contracts: envelopes, settings, the topology the bus declares, generated gRPC code."""
from __future__ import annotations

import datetime as dt
import filecmp
import inspect

import pytest
from pydantic import ValidationError

from libs.common.api.generate import PACKAGE_DIR, generate, proto_files
from libs.common.bus.topology import SUBSCRIPTIONS
from libs.common.events import ActivityRecorded, Envelope, make_envelope
from libs.common.settings import REPO_ROOT, Settings


def test_envelope_round_trip_and_typed_payload():
    payload = ActivityRecorded(activity_id="a", org="cast", activity_type="caravan_tour",
                               start_date=dt.date(2024, 1, 2), end_date=dt.date(2024, 1, 2), quantities={"sessions": 1})
    env = make_envelope("activities", payload)
    back = Envelope.model_validate_json(env.model_dump_json())
    assert back.type == "activity_recorded" and back.schema_version == 1 and back.source == "activities"
    assert back.typed_payload() == payload
    with pytest.raises(ValidationError):
        Envelope.model_validate({**env.model_dump(), "extra": 1})


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("KEPU_GRPC_PORT", "6000")
    monkeypatch.setenv("KEPU_AS_OF", "2024-06-30")
    s = Settings()
    assert s.grpc_port == 6000 and s.as_of == dt.date(2024, 6, 30)
    assert s.database_url("indicators").endswith("/db/indicators.sqlite3")
    assert s.metrics_port("activities") == s.metrics_port_base + 1
    assert Settings(metrics_port_base=-1).metrics_port("gateway") == -1


def test_declared_subscriptions_match_the_services_handlers():
    """The bus declares queues by name before anything is published: the names must be real."""
    import importlib

    for sub in SUBSCRIPTIONS:
        module = importlib.import_module(f"services.{sub.service}.service")
        cls = next(c for _, c in inspect.getmembers(module, inspect.isclass) if getattr(c, "name", None) == sub.service)
        handler = getattr(cls, sub.method)
        (entry,) = [e for e in handler.nameko_entrypoints]
        assert (entry.source_service, entry.event_types) == (sub.source, (sub.event_type, *sub.also))


def test_generated_grpc_code_is_fresh(tmp_path):
    generate(tmp_path)
    for name in proto_files():
        stem = name.removesuffix(".proto")
        for suffix in ("_pb2.py", "_pb2_grpc.py", "_pb2.pyi"):
            fresh, committed = tmp_path / PACKAGE_DIR / (stem + suffix), REPO_ROOT / PACKAGE_DIR / (stem + suffix)
            assert filecmp.cmp(fresh, committed, shallow=False), f"{committed} is stale: run `make proto`"
