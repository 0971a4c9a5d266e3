"""People's accounts and sessions in the organisations service on the real broker (SQLite and
PostgreSQL): refusals cross the bus as the same classes with their fields, the settings in the
container's config are the ones applied, and no secret rests in the database."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from libs.cli.users import new_setup_code
from libs.common.access import token_hash
from libs.common.errors import BadRequest, NotFound, TooManyAttempts, Unauthenticated
from libs.common.rpc import ClusterRpcProxy
from services.organisations.service import OrganisationsService
from services.organisations.settings import OrganisationSettings
from tests.interface.helpers import declare

PASSWORD = "砀山县科普工作2024"


@pytest.fixture
def rpc(container_factory, settings):
    """organisations with a sign-in limit of 3 failures per account (the default is 5)."""
    config = settings.nameko_config() | OrganisationSettings(sign_in_failures_per_account=3).nameko_config()
    declare(settings.amqp_uri)
    container_factory(OrganisationsService, config).start()
    with ClusterRpcProxy(settings.nameko_config(), timeout=15) as proxy:
        yield proxy.organisations


def stored_rows(settings) -> list[str]:
    engine = create_engine(settings.database_url("organisations"))
    with engine.connect() as conn:
        rows = [str(v) for table in ("accounts", "sessions", "sign_in_failures")
                for row in conn.execute(text(f"select * from {table}")) for v in row]
    engine.dispose()
    return rows


def test_a_person_is_set_up_signs_in_is_recognised_and_signs_out(rpc, settings):
    code = new_setup_code()
    added = rpc.add_account("cast", "li-na", "李娜", "admin", token_hash(code), "72h")
    assert added["setup_pending"] and not added["password_set"] and "hash" not in str(added)
    assert rpc.describe_setup(token_hash(code))["display_name"] == "李娜"
    with pytest.raises(BadRequest) as weak:
        rpc.complete_setup(token_hash(code), "li-na")
    assert {v.field for v in weak.value.violations} == {"password"}
    assert "密码至少需要10个字符" in [v.message for v in weak.value.violations]
    assert rpc.complete_setup(token_hash(code), PASSWORD)["role"] == "admin"
    with pytest.raises(NotFound, match="设置链接无效或已过期"):
        rpc.describe_setup(token_hash(code))

    credential = "kps_interface-test-credential"
    answer = rpc.sign_in("li-na", PASSWORD, "203.0.113.9", token_hash(credential))
    assert answer["identity"]["org_name"] == "县科协" and answer["idle_timeout_seconds"] == 8 * 3600
    who = rpc.authenticate(token_hash(credential))
    assert (who["account"], who["display_name"], who["role"], who["token_id"]) == ("li-na", "李娜", "admin", None)
    (listed,) = rpc.list_sessions("li-na")
    assert listed["address"] == "203.0.113.9" and listed["active"]
    assert rpc.list_accounts("cast")[0]["active_sessions"] == 1
    assert rpc.sign_out(token_hash(credential)) is True
    assert rpc.authenticate(token_hash(credential)) == {"refused": "已退出登录，请重新登录", "known": True}
    assert not any(secret in value for value in stored_rows(settings) for secret in (code, PASSWORD, credential))


def test_sign_in_refusals_cross_the_bus_and_the_configured_limit_applies(rpc):
    code = new_setup_code()
    rpc.add_account("edu", "zhao-lei", "赵雷", "reporter", token_hash(code), "1h")
    with pytest.raises(Unauthenticated, match="尚未设置密码"):
        rpc.sign_in("zhao-lei", PASSWORD, "203.0.113.10", token_hash("kps_a"))
    rpc.complete_setup(token_hash(code), PASSWORD)
    for _ in range(2):  # with the one above: three failures, the configured limit
        with pytest.raises(Unauthenticated, match="^账号或密码不正确$"):
            rpc.sign_in("zhao-lei", "not the password", "203.0.113.10", token_hash("kps_a"))
    with pytest.raises(TooManyAttempts, match="登录失败次数过多，请1[45]分钟后再试"):
        rpc.sign_in("zhao-lei", PASSWORD, "203.0.113.11", token_hash("kps_a"))


def test_operators_disable_an_account_and_end_its_sessions(rpc):
    code = new_setup_code()
    rpc.add_account("edu", "sun-li", "孙丽", "viewer", token_hash(code), "1h")
    rpc.complete_setup(token_hash(code), PASSWORD)
    for n in range(2):
        rpc.sign_in("sun-li", PASSWORD, "", token_hash(f"kps_{n}"))
    assert rpc.end_sessions(session_id=rpc.list_sessions("sun-li")[0]["session_id"]) == 1
    assert rpc.disable_account("sun-li")["disabled_at"]
    assert rpc.list_sessions("sun-li") == []
    assert {s["ended_why"] for s in rpc.list_sessions("sun-li", active_only=False)} == {
        "ended_by_operator", "account_disabled"}
    with pytest.raises(Unauthenticated):
        rpc.sign_in("sun-li", PASSWORD, "", token_hash("kps_2"))
    with pytest.raises(BadRequest) as taken:
        rpc.add_account("cast", "sun-li", "孙丽", "viewer", token_hash(new_setup_code()), "1h")
    assert [(v.field, v.code) for v in taken.value.violations] == [("account", "exists")]
