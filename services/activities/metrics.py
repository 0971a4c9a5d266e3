"""Prometheus metrics of the activities service."""
from prometheus_client import Counter, Gauge

ACTIVITIES_RECORDED = Counter(
    "kepu_activities_recorded_total", "Activities accepted, by type and reporting organisation.",
    ["activity_type", "org"],
)
ACTIVITY_CHANGES = Counter(
    "kepu_activity_changes_total", "Corrections and retractions of stored activities.", ["action"],
)

# what the Towns dashboard reads: refreshed from the stored activities (corrections and
# retractions included), so it says what is counted, not what was once reported
BY_TOWN = Gauge("kepu_town_activities", "Activities held in a town (retractions excluded), by start year.",
                ["town", "year"])
PARTICIPANTS_BY_TOWN = Gauge("kepu_town_participants", "Participants (人次) of the activities held in a town, by "
                             "start year.", ["town", "year"])


def publish_town_totals(rows) -> None:
    """``rows``: (town, year, activities, participants), the whole picture: series of towns that no
    longer have activities are dropped."""
    BY_TOWN.clear()
    PARTICIPANTS_BY_TOWN.clear()
    for town, year, count, participants in rows:
        year = str(int(year))  # PostgreSQL's EXTRACT answers a numeric
        BY_TOWN.labels(town, year).set(count)
        PARTICIPANTS_BY_TOWN.labels(town, year).set(float(participants or 0))
