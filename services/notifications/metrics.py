"""Prometheus metrics of the notifications service."""
from prometheus_client import Counter, Gauge

ALERTS_FIRING = Gauge("kepu_alerts_firing", "Alerts currently firing.")
ALERT_TRANSITIONS = Counter("kepu_alert_transitions_total", "Alerts opened, updated and resolved.", ["action"])
