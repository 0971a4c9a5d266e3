"""The pack's charts, drawn with matplotlib in Chinese (Debian's Noto Sans CJK): progress against
target per plan section, and each section's trend over the quarters so far. SVG for the PDF
(sharp at any zoom), PNG for Word."""
from __future__ import annotations

import io
from functools import cache

from services.reports.domain.pack import QuarterPack

CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"  # fonts-noto-cjk (the set-up installs it)
DONE, PACE = "#1f5fbf", "#222222"


@cache
def _pyplot():
    """matplotlib on no screen, with the CJK font registered once per process."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    font_manager.fontManager.addfont(CJK_FONT)
    plt.rcParams.update({"font.family": "Noto Sans CJK JP", "font.size": 9, "axes.unicode_minus": False,
                         "svg.fonttype": "path"})
    return plt


def _save(fig, fmt: str) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, bbox_inches="tight", dpi=160)
    _pyplot().close(fig)
    return buf.getvalue()


def sections_chart(pack: QuarterPack, fmt: str = "svg") -> bytes:
    """A bar per section: the mean share of its targets reached, with the pace line."""
    plt = _pyplot()
    sections = list(reversed(pack.sections))
    fig, ax = plt.subplots(figsize=(6.4, 0.42 * len(sections) + 0.9))
    y = range(len(sections))
    ax.barh(list(y), [100 * s.done_share for s in sections], color=DONE, height=0.55, label="目标完成率")
    ax.scatter([100 * s.pace_share for s in sections], list(y), marker="|", s=300, color=PACE, label="按进度应达到",
               zorder=3)
    ax.set_yticks(list(y), [s.title for s in sections])
    ax.set_xlim(0, 100)
    ax.set_xlabel("%")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    ax.set_title(f"{pack.label}各行动、工程目标完成率（均值）")
    ax.spines[["top", "right"]].set_visible(False)
    return _save(fig, fmt)


def trend_chart(pack: QuarterPack, fmt: str = "svg") -> bytes:
    """Each section's share of target reached at the end of each quarter so far."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    labels = [label for label, _ in pack.trend]
    for title in [s.title for s in pack.sections]:
        ax.plot(labels, [100 * shares.get(title, 0.0) for _, shares in pack.trend], marker="o", label=title)
    ax.set_ylim(0, 100)
    ax.set_ylabel("目标完成率（%）")
    ax.set_title("各季度末目标完成率走势")
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.spines[["top", "right"]].set_visible(False)
    return _save(fig, fmt)
