"""People's accounts and sessions as use cases, on a real SQLite unit of work with real argon2
(cheaper parameters than production's, so each hash takes a millisecond)."""
from __future__ import annotations

import datetime as dt
import secrets

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from libs.common.access import Caller, token_hash
from libs.common.errors import BadRequest, NotFound, TooManyAttempts, Unauthenticated
from services.organisations import app, domain
from services.organisations.models import Account, AccountSession, SignInFailure
from services.organisations.passwords import Passwords
from tests.unit.organisations.conftest import NOW

POLICY = app.PeoplePolicy(Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)))
PASSWORD = "砀山科普2024年好"


def code() -> str:
    return secrets.token_urlsafe(24)


def later(**delta) -> dt.datetime:
    return NOW + dt.timedelta(**delta)


def add(session, account="fulian-wang", org="women-federation", role="reporter", valid="72h") -> str:
    """Add an account as `kepu org user add` does; returns its set-up code."""
    setup = code()
    app.add_account(session, org, account, "王芳", role, token_hash(setup), valid, NOW)
    return setup


def set_up(session, account="fulian-wang", password=PASSWORD, **kw) -> None:
    app.complete_setup(session, token_hash(add(session, account, **kw)), password, POLICY, NOW)


def sign_in(session, account="fulian-wang", password=PASSWORD, address="203.0.113.5", now=NOW) -> tuple[str, dict]:
    credential = "kps_" + secrets.token_urlsafe(32)
    return credential, app.sign_in(session, account, password, address, token_hash(credential), POLICY, now)


def test_an_account_is_set_up_with_its_one_time_code_and_then_signs_in(session):
    setup = add(session)
    who = app.describe_setup(session, token_hash(setup), NOW)
    assert who == {"org": "women-federation", "org_name": "县妇联", "org_kind": "body",
                   "role": "reporter", "account": "fulian-wang", "display_name": "王芳"}
    with pytest.raises(Unauthenticated, match="尚未设置密码"):
        sign_in(session)
    assert app.complete_setup(session, token_hash(setup), PASSWORD, POLICY, NOW)["account"] == "fulian-wang"
    with pytest.raises(NotFound, match="设置链接无效或已过期"):  # used up
        app.describe_setup(session, token_hash(setup), NOW)
    credential, answer = sign_in(session, now=later(minutes=1))
    assert answer["identity"]["display_name"] == "王芳" and answer["idle_timeout_seconds"] == 8 * 3600
    caller = Caller.model_validate(app.authenticate(session, token_hash(credential), later(minutes=2),
                                                    POLICY.sessions))
    assert (caller.org, caller.role, caller.account, caller.display_name, caller.token_id) == (
        "women-federation", "reporter", "fulian-wang", "王芳", None)
    assert caller.session_id == answer["session_id"] and caller.audit_fields()["by_account"] == "fulian-wang"


def test_only_hashes_are_stored(session):
    setup = add(session)
    app.complete_setup(session, token_hash(setup), PASSWORD, POLICY, NOW)
    credential, _ = sign_in(session)
    stored = [str(v) for table in (Account.__table__, AccountSession.__table__)
              for row in session.execute(select(table)).all() for v in row]
    assert not any(secret in value for value in stored for secret in (setup, PASSWORD, credential))
    assert session.scalar(select(Account.password_hash)).startswith("$argon2id$")


def test_a_set_up_code_expires(session):
    setup = add(session, valid="2h")
    with pytest.raises(NotFound, match="设置链接无效或已过期"):
        app.describe_setup(session, token_hash(setup), later(hours=2))
    with pytest.raises(NotFound):
        app.complete_setup(session, token_hash(setup), PASSWORD, POLICY, later(hours=3))


@pytest.mark.parametrize(("kwargs", "field", "code_"), [
    ({"account": "Fulian Wang"}, "account", "string_pattern_mismatch"),
    ({"role": "owner"}, "role", "literal_error"),
    ({"org": "nowhere"}, "org", "unknown_organisation"),
    ({"valid": "90d"}, "setup_expires", "too_long"),
    ({"valid": "soon"}, "setup_expires", "invalid"),
])
def test_a_bad_account_names_its_field(session, kwargs, field, code_):
    with pytest.raises(BadRequest) as info:
        add(session, **kwargs)
    assert [(v.field, v.code) for v in info.value.violations] == [(field, code_)]


def test_an_account_name_is_taken_once(session):
    add(session)
    with pytest.raises(BadRequest) as info:
        add(session, org="cast")
    assert [(v.field, v.code) for v in info.value.violations] == [("account", "exists")]


def test_a_weak_password_is_refused_and_the_code_still_works(session):
    setup = add(session)
    with pytest.raises(BadRequest) as info:
        app.complete_setup(session, token_hash(setup), "short", POLICY, NOW)
    assert info.value.violations[0].field == "password" and "10个字符" in info.value.violations[0].message
    with pytest.raises(BadRequest, match="账号相同"):
        app.complete_setup(session, token_hash(setup), "fulian-wang", POLICY, NOW)
    assert app.describe_setup(session, token_hash(setup), NOW)["account"] == "fulian-wang"


def test_a_wrong_password_and_an_unknown_account_get_one_message(session):
    set_up(session)
    with pytest.raises(Unauthenticated) as wrong:
        sign_in(session, password="砀山科普2024年坏")
    with pytest.raises(Unauthenticated) as unknown:
        sign_in(session, account="nobody-here")
    assert str(wrong.value) == str(unknown.value) == "账号或密码不正确"


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(session):
    set_up(session)
    credential, _ = sign_in(session)
    app.disable_account(session, "fulian-wang", later(minutes=1))
    assert app.authenticate(session, token_hash(credential), later(minutes=2))["refused"] == "账号已停用，请联系县科协"
    with pytest.raises(Unauthenticated, match="账号或密码不正确"):
        sign_in(session, now=later(minutes=2))
    app.enable_account(session, "fulian-wang", later(minutes=3))
    sign_in(session, now=later(minutes=3))
    assert app.authenticate(session, token_hash(credential), later(minutes=4))["known"] is True  # still ended


def test_after_five_failures_even_the_right_password_waits_and_success_clears_the_count(session):
    set_up(session)
    for minute in range(5):
        with pytest.raises(Unauthenticated):
            sign_in(session, password="wrong-password!", now=later(minutes=minute))
    with pytest.raises(TooManyAttempts, match="登录失败次数过多，请11分钟后再试"):
        sign_in(session, now=later(minutes=4, seconds=30))
    sign_in(session, now=later(minutes=15, seconds=1))  # the first failure left the window
    assert session.scalars(select(SignInFailure).where(SignInFailure.account == "fulian-wang")).all() == []
    for minute in range(4):  # a fresh count: four more failures are still no lockout
        with pytest.raises(Unauthenticated):
            sign_in(session, password="wrong-password!", now=later(minutes=16 + minute))
    sign_in(session, now=later(minutes=20))


def test_twenty_failures_from_one_address_hold_back_every_account_from_it(session):
    set_up(session)
    for i in range(20):
        with pytest.raises(Unauthenticated):
            sign_in(session, account=f"guess-{i}", address="198.51.100.7")
    with pytest.raises(TooManyAttempts):
        sign_in(session, address="198.51.100.7")
    sign_in(session, address="198.51.100.8")  # another address is not held back


def test_a_hash_of_older_parameters_is_redone_at_sign_in(session):
    set_up(session)
    stronger = app.PeoplePolicy(Passwords(PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)))
    before = session.scalar(select(Account.password_hash))
    app.sign_in(session, "fulian-wang", PASSWORD, "203.0.113.5", token_hash("kps_x"), stronger, NOW)
    after = session.scalar(select(Account.password_hash))
    assert after != before and "t=2" in after and not stronger.passwords.needs_rehash(after)


def test_a_session_ends_when_idle_or_too_old_and_is_touched_at_most_once_a_minute(session):
    set_up(session)
    credential, _ = sign_in(session)
    digest = token_hash(credential)
    app.authenticate(session, digest, later(seconds=30))
    assert session.scalar(select(AccountSession.last_seen_at)) == NOW  # under a minute: not written
    for hour in range(1, 24, 7):  # busy all day: never idle
        assert "refused" not in app.authenticate(session, digest, later(hours=hour))
    assert app.authenticate(session, digest, later(hours=24))["refused"] == domain.SESSION_EXPIRED
    other, _ = sign_in(session, now=later(hours=25))
    assert "refused" not in app.authenticate(session, token_hash(other), later(hours=32, minutes=59))
    assert app.authenticate(session, token_hash(other), later(hours=41))["refused"] == domain.SESSION_EXPIRED


def test_signing_out_ends_only_that_session(session):
    set_up(session)
    first, _ = sign_in(session)
    second, _ = sign_in(session)
    assert app.sign_out(session, token_hash(first), later(minutes=1)) is True
    assert app.sign_out(session, token_hash(first), later(minutes=1)) is False
    assert app.authenticate(session, token_hash(first), later(minutes=2))["refused"] == "已退出登录，请重新登录"
    assert "refused" not in app.authenticate(session, token_hash(second), later(minutes=2))


def test_operators_list_and_end_sessions(session):
    set_up(session)
    set_up(session, account="li-lei", org="cast", role="viewer")
    a, _ = sign_in(session)
    b, _ = sign_in(session)
    c, _ = sign_in(session, account="li-lei")
    accounts = {x["account"]: x for x in app.list_accounts(session, None, POLICY.sessions, NOW)}
    assert (accounts["fulian-wang"]["active_sessions"], accounts["li-lei"]["active_sessions"]) == (2, 1)
    assert "password_hash" not in str(accounts) and accounts["li-lei"]["password_set"] is True
    assert [x["account"] for x in app.list_accounts(session, "cast", POLICY.sessions, NOW)] == ["li-lei"]
    listed = app.list_sessions(session, "fulian-wang", None, True, POLICY.sessions, NOW)
    assert len(listed) == 2 and all(s["active"] for s in listed)
    assert app.end_sessions(session, None, listed[0]["session_id"], NOW) == 1
    assert app.end_sessions(session, "fulian-wang", None, NOW) == 1
    assert app.list_sessions(session, "fulian-wang", None, True, POLICY.sessions, NOW) == []
    ended = app.list_sessions(session, None, None, False, POLICY.sessions, NOW)
    assert {s["ended_why"] for s in ended if s["account"] == "fulian-wang"} == {"ended_by_operator"}
    assert app.authenticate(session, token_hash(a), NOW)["refused"] == "会话已被县科协结束，请重新登录"
    assert "refused" not in app.authenticate(session, token_hash(c), NOW)
    with pytest.raises(BadRequest) as info:
        app.end_sessions(session, None, None, NOW)
    assert info.value.violations[0].field == "account"
    assert b


def test_a_reset_gives_a_new_code_and_the_old_password_works_until_the_new_one_is_set(session):
    set_up(session)
    first_session, _ = sign_in(session)
    fresh = code()
    view = app.reset_account(session, "fulian-wang", token_hash(fresh), "24h", NOW)
    assert view["setup_pending"] and view["password_set"]
    sign_in(session)  # the old password still works
    app.complete_setup(session, token_hash(fresh), "新的密码也要够长才行", POLICY, later(minutes=1))
    with pytest.raises(Unauthenticated):
        sign_in(session, now=later(minutes=2))
    sign_in(session, password="新的密码也要够长才行", now=later(minutes=2))
    assert app.authenticate(session, token_hash(first_session), later(minutes=2))["refused"] == \
        "密码已重新设置，请用新密码登录"
    with pytest.raises(NotFound, match="kepu org user list"):
        app.reset_account(session, "nobody-here", token_hash(code()), "24h", NOW)


def test_a_token_still_authenticates_and_an_expired_one_is_known_not_guessed(session):
    from tests.unit.organisations.test_org_app import issue

    token, _ = issue(session, "edu", "", "reporter", "1h")
    assert app.authenticate(session, token_hash(token), NOW)["token_id"] is not None
    assert app.authenticate(session, token_hash(token), later(hours=2))["known"] is True
    assert "known" not in app.authenticate(session, token_hash("kps_never-issued"), NOW)
