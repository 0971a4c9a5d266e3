"""Prometheus metrics of the notifications service (labels are bounded: orgs of the plan,
channel kinds, outcomes; never alert ids or text)."""
from prometheus_client import Counter, Gauge, Histogram

ALERTS_FIRING = Gauge("kepu_alerts_firing", "Alerts currently firing, by severity and recipient organisation "
                      "(an alert counts once per recipient).", ["severity", "org"])
ALERT_TRANSITIONS = Counter("kepu_alert_transitions_total", "Alerts opened, updated and resolved.", ["action"])
DIGESTS = Counter("kepu_alert_digests_total", "Digests composed, by kind (news, reminder, history).", ["kind"])
DELIVERIES = Counter("kepu_alert_deliveries_total", "Delivery attempts by channel kind and outcome (sent; failed: "
                     "will retry; parked: gave up).", ["channel", "outcome"])
DELIVERIES_PARKED = Gauge("kepu_alert_deliveries_parked", "Deliveries parked after their last attempt, waiting for "
                          "`kepu alert deliveries retry`.", ["channel"])
DELIVERY_LATENCY = Histogram("kepu_alert_delivery_latency_seconds", "From a digest's composition to its delivery.",
                             ["channel"], buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400, 86400))
