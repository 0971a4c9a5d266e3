"""How messages for people write numbers and lists (libs/common/wording.py), and pydantic's
errors in Chinese (libs/common/errors.py ``message_of``)."""
from __future__ import annotations

import datetime as dt

from libs.common.errors import message_of
from libs.common.wording import amount, counts, day, figure, listing, number


def test_numbers_as_people_write_them():
    assert [number(x) for x in (4.0, 7.5, 1398.6857, 0.04, 12, -3.0)] == ["4", "7.5", "1398.7", "0", "12", "-3"]
    assert [number(x, 6) for x in (2.5, 0.125, 1_000_000.0, 2.0)] == ["2.5", "0.125", "1000000", "2"]
    assert [number(x) for x in (1.79e308, float("inf"), float("nan"))] == ["1.79e+308", "inf", "nan"]


def test_a_count_is_whole_the_pace_rounded_half_up_and_the_need_up():
    assert amount(17984.7, "人") == "17985人"
    assert [figure(x, "场次") for x in (2.5, 3.5, 1798.5, 0.49, 4.0)] == ["3", "4", "1799", "0", "4"]
    assert amount(55.2, "个", need=True) == "56个"
    assert amount(0.3, "场次", need=True) == "1场次"  # a county cannot hold 0.3 of a lecture
    assert [figure(x, "人", need=True) for x in (0.0, 3.0, 20.000000000000004)] == ["0", "3", "20"]  # float noise


def test_a_percentage_keeps_one_decimal_and_its_need_rounds_up_there():
    assert amount(12.34, "%") == "12.3%"
    assert [figure(x, "%", need=True) for x in (0.31, 0.3, 0.0)] == ["0.4", "0.3", "0"]
    assert not counts("%") and all(counts(u) for u in ("人", "人次", "场次", "次", "个", "家", "所", "项"))


def test_the_plan_may_say_a_unit_is_not_whole_and_absurd_figures_keep_their_short_form():
    assert figure(3.46, "万元", whole=False) == "3.5" and figure(3.46, "万元") == "3"
    assert figure(3.41, "万元", need=True, whole=False) == "3.5"
    assert [figure(x, "人") for x in (1.79e308, float("inf"))] == ["1.79e+308", "inf"]


def test_days_as_people_type_them():
    assert day(dt.date(2025, 3, 18)) == "2025-03-18"


def test_a_list_is_cut_to_fit_and_says_how_many_there_are():
    assert listing(["甲", "乙", "丙"]) == "甲、乙、丙"
    cut = listing([f"第{i}项" for i in range(100)], limit=20, more="（见说明）")
    assert cut == "第0项、第1项、第2项、第3项、第4项等共100种（见说明）"


def test_a_rare_pydantic_error_keeps_pydantic_s_words_and_a_known_one_without_its_limits_too():
    assert message_of({"type": "url_parsing", "msg": "Input should be a valid URL", "ctx": {}}) == \
        "Input should be a valid URL"
    assert message_of({"type": "string_too_long", "msg": "String should have at most 3 characters"}) == \
        "String should have at most 3 characters"
    assert message_of({"type": "less_than_equal", "msg": "…", "ctx": {"le": 100.0}}) == "不能大于100"
    assert message_of({"type": "int_parsing", "msg": "…"}) == "应为整数"
