"""A county hosted apart, linked to its city (libs/common/bus/link.py) on two real brokers: the test
node is the county (清河县, tests/plans/regions), a second node the test starts is the city (西云市)
with a TLS listener. `kepu link grant` on the city, `kepu link add` on the county: activity events
published in the county are counted once by the city's indicators service, in the county's region
and rolled up to the city, through a restart of either node and a cut link; the link's user may
do nothing else on the city's broker.

The city node's ports: KEPU_TEST_CITY_BROKER_PORT (AMQP; TLS at +2, management +10000, metrics
+10001, Erlang distribution +20000) and its name KEPU_TEST_CITY_BROKER_NODE.
"""
from __future__ import annotations

import datetime as dt
import os
import threading
import time
import uuid
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from kombu import Connection, Exchange, Producer
from nameko.containers import ServiceContainer
from typer.testing import CliRunner

from libs.cli.main import app as kepu
from libs.common.bus.link import SHOVEL_NAME, county_exchange
from libs.common.bus.topology import DEAD_LETTER_QUEUE, RPC_EXCHANGE, declare_topology, event_exchange
from libs.common.events import ActivityRecorded, make_envelope
from libs.common.rpc import ClusterRpcProxy
from libs.common.settings import REPO_ROOT, Settings, get_settings
from libs.localenv import testenv
from libs.localenv.broker_access import USERS, Management, apply, service_uri
from libs.localenv.county_link import grant_county
from libs.localenv.rabbitmq import RabbitNode, TlsListener
from services.indicators.service import IndicatorsService
from tests.certificates import ca_signed
from tests.interface.helpers import drain_until, publish, wait_until

AS_OF = dt.date(2026, 6, 30)
PLANS = REPO_ROOT / "tests" / "plans" / "regions"


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """The city's own broker node, AMQP on loopback and AMQPS (a self-signed loopback certificate)."""
    folder = tmp_path_factory.mktemp("city")
    ca, cert, key = ca_signed(folder, "city")
    port = int(os.environ.get("KEPU_TEST_CITY_BROKER_PORT", 5802))
    node = RabbitNode(base=folder / "rabbitmq", node=os.environ.get("KEPU_TEST_CITY_BROKER_NODE",
                                                                    "kepu-test-city@localhost"),
                      port=port, mgmt_port=port + 10000, metrics_port=port + 10001, dist_port=port + 20000,
                      tls=TlsListener(port + 2, cert, key, ca))
    node.start()
    with Connection(node.amqp_uri) as conn:
        declare_topology(conn)  # the city's operator declared its topology
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="module")
def county(broker_uris):
    """A vhost of the test node as the county's broker, with its service users (as `kepu run` grants)."""
    vhost = f"county-{uuid.uuid4().hex[:8]}"
    passwords = {user: uuid.uuid4().hex for user in USERS}
    apply(broker_uris[1], vhost, passwords)
    admin = Management(broker_uris[1])
    admin.put(f"permissions/{quote(vhost, safe='')}/{urlsplit(broker_uris[0]).username}",
              {"configure": ".*", "write": ".*", "read": ".*"})
    parts = urlsplit(broker_uris[0])
    operator = urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), "", ""))
    with Connection(operator) as conn:
        declare_topology(conn)
    try:
        yield {"operator": operator, "api": broker_uris[1], "vhost": vhost,
               "activities": service_uri(operator, "activities", passwords["activities"])}
    finally:
        Management(broker_uris[1]).delete(f"vhosts/{quote(vhost, safe='')}")


def run_kepu(*args: str, **env: str):
    """A `kepu` command, in this process, with these settings."""
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(kepu, list(args), env=env, catch_exceptions=False)
    finally:
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def linked(city, county, tmp_path_factory):
    """`kepu link grant --county qinghe` on the city, then `kepu link add` with its URI on the county."""
    granted = run_kepu("link", "grant", "--county", "qinghe", "--address", f"amqps://localhost:{city.tls.port}",
                       "--broker-api", city.api_uri, KEPU_AMQP_URI=city.amqp_uri, KEPU_PLAN_FILE=str(PLANS))
    assert granted.exit_code == 0, granted.output
    uri = next(word.strip("'") for word in granted.output.split() if word.startswith("'amqps://"))
    added = run_kepu("link", "add", "--city-uri", uri, "--tls-ca", str(city.tls.ca_file),
                     "--broker-api", county["api"], KEPU_AMQP_URI=county["operator"])
    assert added.exit_code == 0, added.output
    try:
        wait_until(lambda: check_link(county).exit_code == 0, timeout=20)
    except AssertionError:
        raise AssertionError(check_link(county).output) from None
    return {**county, "city_uri": uri}


def check_link(county: dict):
    return run_kepu("link", "check", "--broker-api", county["api"], KEPU_AMQP_URI=county["operator"])


@pytest.fixture(scope="module")
def city_indicators(city, tmp_path_factory):
    """The city's indicators service (西云市 over 清河县 and 白沙县), on the city's broker."""
    settings = Settings(amqp_uri=city.amqp_uri, var_dir=tmp_path_factory.mktemp("city-indicators"),
                        metrics_port_base=-1, plan_file=PLANS, as_of=AS_OF, evaluate_interval=3600)
    container = ServiceContainer(IndicatorsService, settings.nameko_config())
    container.start()
    try:
        yield settings.nameko_config()
    finally:
        container.stop()


def activity(n: int, region: str | None = "qinghe", org: str = "qinghe-cast") -> ActivityRecorded:
    day = dt.date(2026, 5, 1)
    return ActivityRecorded(activity_id=f"{org}-{n}-{uuid.uuid4().hex[:8]}", org=org, region=region,
                            activity_type="caravan_tour", start_date=day, end_date=day,
                            quantities={"sessions": 1, "participants": 10})


def report_in_county(county: dict, count: int, **fields) -> list[str]:
    """``count`` activity events, one session each, published as the county's activities service does."""
    envelopes = [make_envelope("activities", activity(n, **fields)) for n in range(count)]
    publish(county["activities"], *envelopes)
    return [e.event_id for e in envelopes]


def city_figure(config: dict, indicator: str, scope: str) -> float:
    """The city's figure of 2026 (none yet, or the city's broker restarting: 0)."""
    try:
        with ClusterRpcProxy(config, timeout=5) as rpc:
            rows = rpc.indicators.get_progress(indicator, scope)
    except Exception:  # noqa: BLE001 - the city's broker may be restarting
        return 0.0
    return next((r["actual"] for r in rows if r["window"] == "2026"), 0.0)


def counted(config: dict, expected: float, timeout: float = 30) -> None:
    """Wait until the county's figure in the city reaches ``expected``, then check it stays there."""
    wait_until(lambda: city_figure(config, "caravan-tours", "qinghe") >= expected, timeout=timeout, interval=0.3)
    assert city_figure(config, "caravan-tours", "qinghe") == expected


def shovel_connection_pid(city: RabbitNode) -> str | None:
    listed = city.ctl("list_connections", "pid", "user", "--no-table-headers", "--silent")
    rows = [line.split("\t") for line in listed.stdout.splitlines()] if listed.returncode == 0 else []
    return next((row[0] for row in rows if row[1:] == ["county-qinghe"]), None)


class Stream:
    """Activity events published in the county in batches of ten, as its outbox relay does, while
    something breaks: a batch the county's broker did not confirm is sent again (the same events,
    so a copy that did arrive is absorbed by the city's processed marks). ``sent``: events confirmed."""

    def __init__(self, county: dict, batches: int = 30):
        self.county, self.batches, self.sent = county, batches, 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Stream":
        self.thread.start()
        wait_until(lambda: self.sent >= 30)  # under way before anything breaks
        return self

    def __exit__(self, *exc) -> None:
        self.thread.join(timeout=120)

    def _run(self) -> None:
        for _ in range(self.batches):
            envelopes = [make_envelope("activities", activity(n)) for n in range(10)]
            while True:
                try:
                    publish(self.county["activities"], *envelopes)
                    break
                except Exception:  # noqa: BLE001 - the county's broker is restarting: as the outbox, try again
                    time.sleep(0.5)
            self.sent += len(envelopes)
            time.sleep(0.1)


def test_a_county_s_events_count_once_in_the_city_through_restarts_and_a_cut_link(linked, city, city_indicators):
    total = len(report_in_county(linked, 40))
    counted(city_indicators, total)
    assert city_figure(city_indicators, "city-caravan-sessions", "xiyun") == total  # rolled up to the city
    assert city_figure(city_indicators, "city-caravan-sessions", "region:qinghe") == total
    assert city_figure(city_indicators, "caravan-tours", "org:qinghe-cast") == total

    with Stream(linked) as stream:  # the county's node restarts mid-stream
        county = testenv.test_broker()
        county.stop()
        county.start()
    total += stream.sent
    counted(city_indicators, total, timeout=60)

    with Stream(linked) as stream:  # the city's node restarts mid-stream: the county holds them meanwhile
        city.stop()
        city.start()
    total += stream.sent
    counted(city_indicators, total, timeout=60)

    wait_until(lambda: shovel_connection_pid(city), timeout=20)
    with Stream(linked) as stream:  # the link's connection is cut on the city mid-stream
        closed = city.ctl("close_connection", shovel_connection_pid(city), "cut by the test")
        assert closed.returncode == 0, closed.stderr
    total += stream.sent
    counted(city_indicators, total, timeout=60)
    wait_until(lambda: check_link(linked).exit_code == 0, timeout=20)


def publish_as_link(linked: dict, city: RabbitNode, exchange: Exchange, routing_key: str) -> str:
    """Publish one message on the city as the county's link user; what the broker said ('' when confirmed)."""
    parts = urlsplit(linked["city_uri"])
    plain = urlunsplit(("amqp", f"{parts.username}:{parts.password}@127.0.0.1:{city.port}", parts.path, "", ""))
    try:
        with Connection(plain, transport_options={"confirm_publish": True}) as conn:
            Producer(conn.channel()).publish("{}", exchange=exchange, routing_key=routing_key,
                                             user_id="county-qinghe", confirm_timeout=5, retry=False)
    except Exception as exc:  # noqa: BLE001 - the broker's refusal, whichever class it takes
        return str(exc)
    return ""


@pytest.mark.parametrize(("exchange", "routing_key"), [
    (event_exchange("activities"), "activity_recorded"),  # as if the city's own activities service
    (RPC_EXCHANGE, "organisations.issue_token"),
    (county_exchange("baisha"), "activity_recorded"),  # another county's way in
    (county_exchange("qinghe"), "indicator_status_changed"),  # its own way in, another kind of event
])
def test_the_link_user_may_send_nothing_else(linked, city, exchange, routing_key):
    grant_county(Management(city.api_uri), "/", "baisha")  # the other county's exchange exists
    assert "ACCESS_REFUSED" in publish_as_link(linked, city, exchange, routing_key)


def test_the_link_user_may_send_activity_events_its_own_way(linked, city):
    assert publish_as_link(linked, city, county_exchange("qinghe"), "activities_recorded") == ""  # {}: parked


def test_an_activity_outside_the_county_s_region_is_parked_with_the_reason(linked, city, city_indicators):
    before = city_figure(city_indicators, "caravan-tours", "baisha")
    (neighbour,) = report_in_county(linked, 1, region="baisha", org="baisha-cast")
    (unplaced,) = report_in_county(linked, 1, region=None)
    got = drain_until(city.amqp_uri, DEAD_LETTER_QUEUE, lambda got: {neighbour, unplaced} <= {
        body.get("event_id") for body, _ in got}, timeout=30)
    parked = {body.get("event_id"): headers for body, headers in got}
    assert "not county 'qinghe' nor below it" in parked[neighbour]["x-kepu-error"]
    assert "names no region" in parked[unplaced]["x-kepu-error"]
    assert parked[neighbour]["x-kepu-sender"] == "county-qinghe"
    assert city_figure(city_indicators, "caravan-tours", "baisha") == before


def test_check_says_what_is_wrong_once_the_city_revokes_the_link(linked, city):
    revoked = run_kepu("link", "revoke", "--county", "qinghe", "--broker-api", city.api_uri,
                       KEPU_AMQP_URI=city.amqp_uri)
    assert revoked.exit_code == 0, revoked.output
    wait_until(lambda: check_link(linked).exit_code == 1, timeout=20)
    said = check_link(linked).output
    assert "✗" in said and "what to do" in said, said
    removed = run_kepu("link", "remove", "--force", "--broker-api", linked["api"], KEPU_AMQP_URI=linked["operator"])
    assert removed.exit_code == 0, removed.output
    assert all(s["name"] != SHOVEL_NAME for s in Management(linked["api"]).get("shovels") or [])
