"""Progress as a person reads it (pure: no gateway, no web, no file format): an indicator
window's figures turned into the words, colours and numbers of the portal's 我的进度 and 全县总览
and of the office's documents (the 调度会 pack).

The words, windows, figures and recovery sums are the alerts' own (``libs.common.wording``), so
what a department reads in an alert digest and on the portal is the same sentence.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from libs.common.plan.schema import whole_figures
from libs.common.wording import (
    STATUS_WORDS,
    amount,
    figure,
    months_left,
    target_word,
    window_end,
    window_holds,
    window_label,
)

# colour of each status, as the dashboards and digests show it (a word always goes with it:
# colour alone does not tell a colour-blind reader anything)
STATUS_TONES = {
    "missed": "bad", "lagging": "warn", "at_risk": "watch", "on_track": "good", "achieved": "done",
    "not_started": "quiet", "no_data": "quiet", "tracking": "quiet",
}
# lagging first: what needs someone's attention leads every list
STATUS_ORDER = {s: i for i, s in enumerate(("missed", "lagging", "at_risk", "no_data", "on_track", "not_started",
                                            "achieved", "tracking"))}
KIND_NAMES = {"yearly": "年度", "quarterly": "季度", "cumulative": "规划期累计", "stock": "规划期末达到"}


@dataclass(frozen=True)
class Progress:
    """One indicator window in one scope, ready to show."""

    indicator: str
    name: str
    kind: str
    window: str
    unit: str
    actual: float
    expected: float
    target: float
    status: str
    as_of: dt.date | None
    section: str = ""
    whole: bool | None = None  # its figures count things, as the plan says (None: as its unit says)

    @property
    def window_label(self) -> str:
        return window_label(self.window)

    @property
    def status_word(self) -> str:
        return STATUS_WORDS.get(self.status, self.status)

    @property
    def tone(self) -> str:
        return STATUS_TONES.get(self.status, "quiet")

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)

    @property
    def has_target(self) -> bool:
        return self.target > 0

    @property
    def done_percent(self) -> int:
        """How far the bar is filled: the share of the target reached, at most 100."""
        return min(100, round(100 * self.actual / self.target)) if self.has_target else 0

    @property
    def pace_percent(self) -> int:
        """Where the pace line stands on the bar."""
        return min(100, round(100 * self.expected / self.target)) if self.has_target else 0

    @property
    def days_left(self) -> int | None:
        end = window_end(self.window)
        if end is None or self.as_of is None:
            return None
        return max(0, (end - self.as_of).days)

    @property
    def actual_figure(self) -> str:
        """"4" of "4场次"."""
        return figure(self.actual, self.unit, whole=self.whole)

    @property
    def expected_figure(self) -> str:
        """Where the pace line stands, as people say it (whole for a count)."""
        return figure(self.expected, self.unit, whole=self.whole)

    @property
    def target_figure(self) -> str:
        return figure(self.target, self.unit, whole=self.whole)

    @property
    def done(self) -> str:
        """"4场次"."""
        return amount(self.actual, self.unit, whole=self.whole)

    @property
    def figures(self) -> str:
        """"4场次 / 全年目标10场次"."""
        goal = f"{target_word(self.window)}{amount(self.target, self.unit, whole=self.whole)}"
        return f"{self.done} / {goal}" if self.has_target else self.done

    @property
    def pace(self) -> str:
        if not self.has_target or not self.expected:
            return ""
        return f"按进度应完成{amount(self.expected, self.unit, whole=self.whole)}"

    @property
    def recovery(self) -> str:
        """What it takes to reach the target in time: "需每月完成2场次" (rounded up: rounding down
        would fall short); empty when reached, closed or without a target."""
        remaining = self.target - self.actual
        end = window_end(self.window)
        if not self.has_target or remaining <= 0 or end is None or self.as_of is None:
            return ""
        months = months_left(self.as_of, end)
        if months == 0:
            return ""
        verb = "需每月提高" if self.kind == "stock" else "需每月完成"
        return f"剩余{months}个月，{verb}{amount(remaining / months, self.unit, need=True, whole=self.whole)}"

    @property
    def needs_attention(self) -> bool:
        return self.status in ("missed", "lagging", "at_risk")


def progress_of(window, name: str = "", section: str = "", kind: str = "", whole: bool | None = None) -> Progress:
    """A ``WindowProgress`` or an ``Alert`` (proto; an alert names no kind: ``kind``) as shown;
    ``whole`` as ``plan_whole`` tells of its indicator."""
    as_of = dt.date.fromisoformat(window.as_of) if window.as_of else None
    return Progress(indicator=window.indicator, name=name or window.name, kind=kind or getattr(window, "kind", ""),
                    window=window.window,
                    unit=window.unit, actual=window.actual, expected=window.expected, target=window.target,
                    status=window.status, as_of=as_of, section=section, whole=whole)


def plan_whole(plan) -> dict[str, bool]:
    """Indicator code → whether its figures are whole, from the GetPlan answer (the same rule as
    the alert digests': ``whole_figures``)."""
    return whole_figures(plan.indicators, (q.code for q in plan.quantities if q.whole))


def lagging_first(rows: list[Progress]) -> list[Progress]:
    return sorted(rows, key=lambda p: (STATUS_ORDER.get(p.status, 99), p.done_percent, p.name))


def current_windows(rows: list[Progress], today: dt.date) -> list[Progress]:
    """The window of each indicator that holds ``today`` (a quarterly indicator: this quarter),
    else its latest one: what a person is working on now."""
    by_indicator: dict[str, list[Progress]] = {}
    for row in rows:
        by_indicator.setdefault(row.indicator, []).append(row)
    chosen = []
    for windows in by_indicator.values():
        holding = [w for w in windows if window_holds(w.window, today)]
        chosen.append(holding[0] if holding else max(windows, key=lambda w: window_end(w.window) or dt.date.min))
    return chosen
