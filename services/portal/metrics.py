"""What the portal tells Prometheus: pages served by endpoint and status, and how long they took."""
from __future__ import annotations

from prometheus_client import Counter, Histogram

PAGES_SERVED = Counter("kepu_portal_requests_total", "Portal requests by page (its handler) and HTTP status.",
                       ["page", "status"])
PAGE_SECONDS = Histogram("kepu_portal_request_seconds", "Time the portal took to answer, by page.", ["page"],
                         buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10))
