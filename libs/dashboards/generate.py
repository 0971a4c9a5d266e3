"""Writes every dashboard's JSON into deploy/grafana/dashboards (``make dashboards``)."""
from __future__ import annotations

import json
from pathlib import Path

from grafanalib._gen import DashboardEncoder

from libs.common.settings import REPO_ROOT
from libs.dashboards.boards import ALL

OUT = REPO_ROOT / "deploy" / "grafana" / "dashboards"


def render() -> dict[str, str]:
    """File name → JSON text of every dashboard (what is committed)."""
    return {f"{name}.json": json.dumps(build().to_json_data(), cls=DashboardEncoder, indent=2, sort_keys=True,
                                       ensure_ascii=False) + "\n" for name, build in ALL.items()}


def main(out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render().items():
        (out / name).write_text(text, encoding="utf-8")
        print(f"wrote {out / name}")


if __name__ == "__main__":
    main()
