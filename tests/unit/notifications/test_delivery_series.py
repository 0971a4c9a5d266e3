"""预警投递 on a system that has delivered nothing yet reads 0 per channel kind and outcome, not
"No data": the counter's series exist from the start (a true zero; a missing report is not one)."""
from __future__ import annotations

from prometheus_client import REGISTRY

from libs.common.events import CHANNEL_KINDS
from services.notifications import metrics  # noqa: F401  (registers the counters)


def test_every_channel_kind_and_outcome_has_a_delivery_series_before_any_delivery():
    for kind in ("log", *CHANNEL_KINDS):
        for outcome in ("sent", "failed", "parked"):
            value = REGISTRY.get_sample_value("kepu_alert_deliveries_total", {"channel": kind, "outcome": outcome})
            assert value is not None, (kind, outcome)
