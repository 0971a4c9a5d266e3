"""``python -m libs.common.healthcheck SERVICE``: exit 0 if the process serving SERVICE answers on
its /metrics port (the containers' health check; no RPC, so a busy broker does not fail it)."""
from __future__ import annotations

import sys
import urllib.request

from libs.common.settings import METRICS_OFFSETS, get_settings


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in METRICS_OFFSETS:
        print(f"usage: python -m libs.common.healthcheck {{{'|'.join(METRICS_OFFSETS)}}}", file=sys.stderr)
        return 2
    settings = get_settings()
    url = f"http://127.0.0.1:{settings.metrics_port(argv[0])}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"{argv[0]}: no answer on {url} ({exc})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
