"""Prometheus metrics of the activities service."""
from prometheus_client import Counter

ACTIVITIES_RECORDED = Counter(
    "kepu_activities_recorded_total", "Activities accepted, by type and reporting organisation.",
    ["activity_type", "org"],
)
ACTIVITY_CHANGES = Counter(
    "kepu_activity_changes_total", "Corrections and retractions of stored activities.", ["action"],
)
