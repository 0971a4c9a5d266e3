"""Test set-up shared by every suite.

eventlet is monkey-patched first (nameko's fixtures need it). The broker and PostgreSQL are
the project's own test servers: ``make test`` starts them (``kepu test-env``) and passes
their addresses in ``KEPU_AMQP_URI``, ``KEPU_RABBIT_API_URI`` and ``KEPU_TEST_POSTGRES_URL``;
a bare ``pytest`` starts them here when a test asks for them. Each broker test gets a fresh
vhost (nameko's ``rabbit_config``) and, on PostgreSQL, fresh databases.
"""
import libs  # noqa: F401 - quiet eventlet's deprecation notice
import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import random  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402

from libs.common.settings import Settings  # noqa: E402

# the browser tests run in a process of their own, without eventlet (tests/browser/conftest.py)
collect_ignore = ["browser"]

# hypothesis seeds the global `random` while a property test runs, and nameko's vhost pipeline
# names the vhosts it prepares in the background with `random.choice`: the same names again,
# created once and deleted twice. Names from the OS's randomness cannot repeat so.
random.choice = random.SystemRandom().choice

# systems the tests start with `kepu run` scrape nothing unless a test asks (tests/e2e/test_dashboards.py):
# a Prometheus per system would fight over one port
os.environ.setdefault("KEPU_PROMETHEUS", "false")
# nor does their gateway deliver a quarter's pack unasked (tests/e2e/test_pack_courier.py turns it on)
os.environ.setdefault("KEPU_PACK_COURIER_INTERVAL", "0")


@pytest.fixture(scope="session")
def broker_uris(request):
    """(amqp_uri, api_uri) of the test node, starting it if ``make test`` did not."""
    node = None
    amqp, api = os.environ.get("KEPU_AMQP_URI"), os.environ.get("KEPU_RABBIT_API_URI")
    if not os.environ.get("KEPU_TEST_ENV"):
        from libs.localenv.testenv import test_broker

        node = test_broker()
        node.start()
        amqp, api = node.amqp_uri, node.api_uri
    request.config.option.RABBIT_AMQP_URI = amqp
    request.config.option.RABBIT_API_URI = api
    # the test node's administrator runs every test service and `kepu run` of the tests: the
    # services trust it as the operator (tests of the sender checks connect as each service's user)
    from libs.common.bus.senders import broker_user

    os.environ["KEPU_BUS_OPERATORS"] = f"operator,{broker_user(amqp)}"
    yield amqp, api
    if node is not None:
        node.stop()


@pytest.fixture(scope="session")
def rabbit_manager(broker_uris):
    """nameko's management-API client, pointed at the test node (overrides the plugin's)."""
    from nameko.testing import rabbit

    return rabbit.Client(broker_uris[1])


@pytest.fixture(scope="session")
def postgres_url():
    """Base URL of the test PostgreSQL server, starting it if ``make test`` did not."""
    url, node = os.environ.get("KEPU_TEST_POSTGRES_URL"), None
    if not (url and os.environ.get("KEPU_TEST_ENV")):
        from libs.localenv.testenv import test_postgres

        node = test_postgres()
        node.start()
        url = node.url
    yield url
    if node is not None:
        node.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url_template(request, tmp_path) -> str:
    """Each service test runs on SQLite (the default) and on PostgreSQL (production)."""
    if request.param == "sqlite":
        return "sqlite:///{var_dir}/db/{service}.sqlite3"
    base = request.getfixturevalue("postgres_url")
    return base + f"t{uuid.uuid4().hex[:10]}_{{service}}"


@pytest.fixture
def settings(rabbit_config, tmp_path, database_url_template) -> Settings:
    """Settings for services under test: own vhost, own data folder, no /metrics ports."""
    return Settings(amqp_uri=rabbit_config["AMQP_URI"], var_dir=tmp_path, metrics_port_base=-1,
                    outbox_interval=0.05, evaluate_interval=3600, database_url_template=database_url_template)


@pytest.fixture(scope="session")
def smtp_server(tmp_path_factory):
    """aiosmtpd with STARTTLS, once per session (tests tell their mails apart by subject)."""
    from tests.receivers.processes import SmtpServer

    server = SmtpServer(tmp_path_factory.mktemp("smtp"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def alertmanager(tmp_path_factory):
    """A real Prometheus Alertmanager, once per session."""
    from tests.receivers.processes import Alertmanager

    manager = Alertmanager(tmp_path_factory.mktemp("alertmanager"))
    yield manager
    manager.stop()


@pytest.fixture
def http_receiver():
    """Webhook, 企业微信 and 钉钉 endpoints checking each payload's documented shape."""
    from tests.receivers.http import HttpReceiver

    receiver = HttpReceiver().start()
    yield receiver
    receiver.stop()
