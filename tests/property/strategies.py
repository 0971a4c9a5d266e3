"""What careless clients and attackers send, as hypothesis strategies: mostly plausible values
with the awkward ones mixed in (control characters, huge and non-finite numbers, dates with
times, epoch numbers, unknown codes, long lists with duplicates), so that most examples reach
deep into validation instead of failing at the first field."""
from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

ACTIVITY_TYPES = ("caravan_tour", "expert_school_tour", "rural_outreach")
QUANTITIES = ("sessions", "participants")

awkward_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)
texts = st.one_of(st.sampled_from(["", "科普大篷车进校园", "Title", " padded "]), awkward_text,
                  st.text(min_size=290, max_size=320))
codes = st.one_of(st.sampled_from(ACTIVITY_TYPES), st.sampled_from(["", "Caravan", "x" * 70, "cast", "town\x00"]),
                  awkward_text)
days = st.one_of(
    st.dates(min_value=dt.date(2023, 11, 1),
             max_value=dt.date(2024, 8, 31)).map(lambda d: d.isoformat()),
    st.sampled_from(["", "2024-05-01T00:00:00", "20240501", "2024-02-30", "1714521600", "2024-W18-3",
                     "２０２４-05-01", "2024-5-1"]),
    awkward_text,
)
amounts = st.one_of(
    st.integers(min_value=0, max_value=20).map(float),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1.79e308, -1.0, 0.5, 2.5, 1e6, 1e6 + 1, 99.0, 100.0, 101.0]),
)
quantities = st.dictionaries(st.one_of(st.sampled_from(QUANTITIES), codes), amounts, max_size=4)
co_organisers = st.one_of(st.just([]), st.lists(st.sampled_from(["education", "health", "cast", ""]), max_size=6),
                          st.lists(codes, max_size=30))


valid_days = st.dates(min_value=dt.date(2024, 1, 1),
                      max_value=dt.date(2024, 6, 30)).map(lambda d: d.isoformat())
VALID = {
    "activity_type": st.sampled_from(ACTIVITY_TYPES), "title": st.sampled_from(["", "科普大篷车进校园", "Title"]),
    "external_id": st.just(""), "town": st.sampled_from(["", "demo-town"]),
    "target_group": st.sampled_from(["", "youth", "farmers"]),
    "co_organisers": st.lists(st.sampled_from(["education", "health"]), max_size=3),
    "start_date": valid_days, "end_date": st.just(""),
    "quantities": st.fixed_dictionaries({"sessions": st.integers(0, 20).map(float)},
                                        optional={"participants": st.integers(0, 5000).map(float)}),
}
AWKWARD = {
    "activity_type": codes, "title": texts, "external_id": texts,
    "town": st.sampled_from(["nowhere", "town\x07", "Demo-Town"]), "target_group": st.sampled_from(["martians", "x"]),
    "co_organisers": co_organisers, "start_date": days, "end_date": days, "quantities": quantities,
}


@st.composite
def reports(draw, external_id: str = "") -> dict:
    """One ReportActivityRequest (as a dict of its proto fields): a valid one with none, one or a
    few fields replaced by something awkward, so both acceptance and every refusal are reached."""
    broken = draw(st.one_of(st.just(set()), st.sets(st.sampled_from(sorted(AWKWARD)), min_size=1, max_size=3)))
    report = {name: draw(AWKWARD[name] if name in broken else VALID[name]) for name in VALID}
    if external_id:
        report["external_id"] = external_id
    return report
