"""The pure rules for people: password policy and hashes, failed sign-in windows, session ends."""
from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher

from libs.common.errors import BadRequest
from services.organisations import domain
from services.organisations.passwords import Passwords, check_policy, policy_violations

NOW = dt.datetime(2024, 6, 30, 12, tzinfo=dt.timezone.utc)
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.mark.parametrize(("password", "code"), [
    ("short1", "too_short"), ("x" * 201 + "y", "too_long"), ("fulian-wang", "same_as_account"),
    ("Fulian-Wang ", "same_as_account"), ("aaaaaaaaaaaa", "one_character"),
])
def test_a_weak_password_is_refused_on_the_field_password_in_chinese(password, code):
    problems = policy_violations(password, "fulian-wang")
    assert code in [p.code for p in problems]
    assert all(p.field == "password" for p in problems)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in p.message) for p in problems)
    with pytest.raises(BadRequest) as info:
        check_policy(password, "fulian-wang")
    assert {v.field for v in info.value.violations} == {"password"}


def test_a_short_password_says_how_long_it_must_be():
    (problem,) = policy_violations("abc123", "fulian-wang")
    assert problem.message == "密码至少需要10个字符"


@pytest.mark.parametrize("password", ["安徽砀山科普2024年", "correct horse battery", "x" * 199 + "y"])
def test_a_long_enough_varied_password_passes(password):
    assert policy_violations(password, "fulian-wang") == []


def test_a_hash_matches_only_its_password_and_is_never_the_password():
    passwords = Passwords(CHEAP)
    stored = passwords.hash("砀山科普密码123")
    assert stored.startswith("$argon2id$") and "砀山科普密码123" not in stored
    assert passwords.matches(stored, "砀山科普密码123")
    assert not passwords.matches(stored, "砀山科普密码124")
    assert not passwords.matches("not a hash", "砀山科普密码123")


def test_without_a_stored_hash_nothing_matches_though_a_dummy_is_checked():
    passwords = Passwords(CHEAP)
    assert not passwords.matches(None, "no account has this password; only its timing matters")
    assert "_dummy" in vars(passwords)  # the dummy was verified against: the same work as a real check


def test_a_hash_made_with_other_parameters_needs_rehashing():
    old = Passwords(CHEAP).hash("砀山科普密码123")
    assert Passwords().needs_rehash(old)
    assert not Passwords(CHEAP).needs_rehash(old)


LIMITS = domain.SignInLimits(per_account=5, per_address=20, window=dt.timedelta(minutes=15))


def minutes_ago(*minutes: float) -> list[dt.datetime]:
    return [NOW - dt.timedelta(minutes=m) for m in minutes]


def test_five_failures_of_an_account_within_fifteen_minutes_hold_the_sixth_back():
    assert domain.wait_before_sign_in(minutes_ago(1, 2, 3, 4), [], LIMITS, NOW) is None
    wait = domain.wait_before_sign_in(minutes_ago(1, 2, 3, 4, 10), [], LIMITS, NOW)
    assert wait == dt.timedelta(minutes=5)  # until the oldest of the five leaves the window
    assert domain.too_many_attempts_message(wait) == "登录失败次数过多，请5分钟后再试"


def test_failures_older_than_the_window_do_not_count():
    assert domain.wait_before_sign_in(minutes_ago(1, 2, 3, 4, 15, 16, 30), [], LIMITS, NOW) is None


def test_twenty_failures_from_one_address_hold_back_any_account_from_it():
    from_address = minutes_ago(*[i * 0.5 for i in range(20)])
    wait = domain.wait_before_sign_in([], from_address, LIMITS, NOW)
    assert wait is not None and dt.timedelta(minutes=5) < wait <= dt.timedelta(minutes=15)
    assert domain.wait_before_sign_in([], from_address[:19], LIMITS, NOW) is None


def test_the_wait_is_given_in_whole_minutes_rounded_up_and_at_least_one():
    assert domain.too_many_attempts_message(dt.timedelta(seconds=61)) == "登录失败次数过多，请2分钟后再试"
    assert domain.too_many_attempts_message(dt.timedelta(seconds=3)) == "登录失败次数过多，请1分钟后再试"


@pytest.mark.parametrize(("given", "key"), [
    ("203.0.113.5", "203.0.113.5"), ("2001:db8:1:2::7", "2001:db8:1:2::/64"), ("[2001:db8:1:2::9]", "2001:db8:1:2::/64"),
    ("::ffff:203.0.113.5", "203.0.113.5"), ("portal-host", "portal-host"), ("", ""),
])
def test_failures_are_counted_per_address_and_an_ipv6_client_per_64(given, key):
    assert domain.address_key(given) == key


SESSIONS = domain.SessionLimits(idle=dt.timedelta(hours=8), longest=dt.timedelta(hours=24))


def test_a_session_works_until_it_is_idle_for_eight_hours():
    started = NOW - dt.timedelta(hours=10)
    assert domain.session_refusal(None, started, NOW - dt.timedelta(hours=7, minutes=59), False, SESSIONS, NOW) is None
    assert domain.session_refusal(None, started, NOW - dt.timedelta(hours=8), False, SESSIONS, NOW) == \
        "会话已过期，请重新登录"


def test_a_busy_session_still_ends_a_day_after_sign_in():
    assert domain.session_refusal(None, NOW - dt.timedelta(hours=24), NOW, False, SESSIONS, NOW) == \
        "会话已过期，请重新登录"


@pytest.mark.parametrize(("why", "disabled", "message"), [
    ("signed_out", False, "已退出登录，请重新登录"), ("ended_by_operator", False, "会话已被县科协结束，请重新登录"),
    ("account_disabled", True, "账号已停用，请联系县科协"), (None, True, "账号已停用，请联系县科协"),
])
def test_an_ended_session_says_why_in_chinese(why, disabled, message):
    assert domain.session_refusal(why, NOW, NOW, disabled, SESSIONS, NOW) == message


def test_a_setup_code_works_until_it_expires_and_never_for_a_disabled_account():
    later = NOW + dt.timedelta(hours=1)
    assert domain.setup_usable(later, False, NOW)
    assert not domain.setup_usable(later, True, NOW)
    assert not domain.setup_usable(NOW, False, NOW)
    assert not domain.setup_usable(None, False, NOW)


@pytest.mark.parametrize("name", ["fulian-wang", "abc", "wang.fang_2", "a" * 64])
def test_account_names_are_lower_case_ascii(name):
    domain.AccountRegistration(org="cast", account=name, display_name="王芳", role="reporter")


@pytest.mark.parametrize("name", ["ab", "Wang", "王芳", "a b", "a" * 65, "x/y"])
def test_other_account_names_are_refused(name):
    with pytest.raises(ValueError):
        domain.AccountRegistration(org="cast", account=name, display_name="王芳", role="reporter")
