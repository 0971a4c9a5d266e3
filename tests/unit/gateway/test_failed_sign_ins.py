"""How many unknown tokens an address may try (services/gateway/limits.py)."""
from __future__ import annotations

from services.gateway.limits import FailedSignIns, _host


def test_each_connection_of_one_host_counts_for_the_host():
    limit = FailedSignIns(limit=3)
    for port in (40001, 40002, 40003):
        limit.failed(f"ipv4:10.0.0.5:{port}")
    assert limit.blocked_for("ipv4:10.0.0.5:40004") > 0
    assert limit.blocked_for("ipv4:10.0.0.6:40001") == 0  # another host is not held back


def test_an_ipv6_client_is_one_slash_64():
    assert _host("ipv6:[2001:db8:1:2::7]:53122") == _host("ipv6:[2001:db8:1:2:ffff::1]:1") == "ipv6:2001:db8:1:2::/64"
    assert _host("ipv6:[2001:db8:1:3::7]:53122") != _host("ipv6:[2001:db8:1:2::7]:53122")


def test_the_table_of_addresses_stays_bounded():
    limit = FailedSignIns(limit=3, window=0.0)  # every failure is already old
    limit.MAX_ADDRESSES = 100
    for i in range(1000):
        limit.failed(f"ipv4:10.1.{i // 250}.{i % 250}:1")
    assert len(limit._failures) <= 100
