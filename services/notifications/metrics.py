"""What the notifications service tells operators: Prometheus metrics (labels are bounded: orgs of
the plans, their regions, channel kinds, outcomes; never alert ids or text) and one log line per
batch or round."""
from __future__ import annotations

import logging
from collections import Counter as Tally
from collections.abc import Sequence
from itertools import product
from pathlib import Path
from typing import get_args

from prometheus_client import Counter, Gauge, Histogram

from libs.common.events import CHANNEL_KINDS
from services.notifications.domain.deliveries import Outcome

log = logging.getLogger(__name__)

ALERTS_FIRING = Gauge("kepu_alerts_firing", "Alerts currently firing, by severity, recipient organisation and "
                      "the alert's region (an alert counts once per recipient).", ["severity", "org", "region"])
ALERT_TRANSITIONS = Counter("kepu_alert_transitions_total", "Alerts opened, updated and resolved.", ["action"])
DIGESTS = Counter("kepu_alert_digests_total", "Digests composed, by kind (news, reminder, history).", ["kind"])
DELIVERIES = Counter("kepu_alert_deliveries_total", "Delivery attempts by channel kind and outcome (sent; failed: "
                     "will retry; parked: gave up).", ["channel", "outcome"])
for _kind, _outcome in product(("log", *CHANNEL_KINDS), get_args(Outcome)):
    DELIVERIES.labels(_kind, _outcome)  # "nothing delivered" is a reading too: 0 from the start, not no data
DELIVERIES_PARKED = Gauge("kepu_alert_deliveries_parked", "Deliveries parked after their last attempt, waiting for "
                          "`kepu alert deliveries retry`.", ["channel"])
DELIVERY_LATENCY = Histogram("kepu_alert_delivery_latency_seconds", "From a digest's composition to its delivery.",
                             ["channel"], buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400, 86400))

ACTION_WORDS = {"open": "opened", "resolve": "resolved"}


def observe_transitions(transitions: Sequence) -> None:
    """Count each alert transition; log one line per batch (the digests and the log channel say
    the rest, in the recipients' words)."""
    for t in transitions:
        ALERT_TRANSITIONS.labels(t.action).inc()
        c = t.change
        log.debug("alert %s: %s %s window %s (%s): actual %s, expected %s of %s %s; to %s%s", t.action,
                  c.indicator, c.indicator_name, c.window, c.status, c.actual, c.expected, c.target, c.unit,
                  ", ".join(t.recipients), " (history)" if t.historical else "")
    if moved := Tally(t.action for t in transitions if t.action != "update"):
        history = sum(1 for t in transitions if t.historical and t.action == "open")
        log.info("alerts: %s%s; digests follow (`kepu alert list`)", ", ".join(
            f"{n} {ACTION_WORDS[action]}" for action, n in sorted(moved.items())),
            f", {history} of them history (closed before monitoring began: one summary to the office)"
            if history else "")


def observe_digests(made: Sequence, digest_file: Path) -> None:
    """Count the digests of a round; one log line a round (the words are in the digests file and
    on the channels)."""
    for digest in made:
        DIGESTS.labels(digest.kind).inc()
        log.debug("digest %s #%d for %s: %s", digest.kind, digest.number, digest.org, digest.title)
    if made:
        kinds = Tally(d.kind for d in made)
        log.info("digests: %s, to %d organisations; their text is in %s (`kepu alert deliveries`)",
                 ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())), len({d.org for d in made}),
                 digest_file)


def set_gauges(firing: Tally, parked: dict[str, int]) -> None:
    """Firing alerts per (severity, org, region); parked deliveries per channel kind, 0 included
    ("nothing parked" is a reading too)."""
    ALERTS_FIRING.clear()
    for (severity, org, region), n in firing.items():
        ALERTS_FIRING.labels(severity, org, region).set(n)
    for kind in ("log", *CHANNEL_KINDS):
        DELIVERIES_PARKED.labels(kind).set(parked.get(kind, 0))
