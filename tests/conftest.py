"""Test set-up shared by every suite.

eventlet is monkey-patched first (nameko's fixtures need it). The broker is the project's
own test node: ``make test`` starts it (``kepu broker run-tests``) and passes its URIs in
``KEPU_AMQP_URI``/``KEPU_RABBIT_API_URI``; a bare ``pytest`` starts it here when a test asks
for it. Each broker test gets a fresh vhost (nameko's ``rabbit_config``).
"""
import libs  # noqa: F401 - quiet eventlet's deprecation notice
import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import socket  # noqa: E402

import pytest  # noqa: E402

from libs.common.settings import Settings  # noqa: E402


@pytest.fixture(scope="session")
def broker_uris(request):
    """(amqp_uri, api_uri) of the test node, starting it if ``make test`` did not."""
    node = None
    amqp, api = os.environ.get("KEPU_AMQP_URI"), os.environ.get("KEPU_RABBIT_API_URI")
    if not (amqp and api and os.environ.get("KEPU_TEST_BROKER_STARTED")):
        from libs.cli.broker import test_node

        node = test_node()
        node.start()
        amqp, api = node.amqp_uri, node.api_uri
    request.config.option.RABBIT_AMQP_URI = amqp
    request.config.option.RABBIT_API_URI = api
    yield amqp, api
    if node is not None:
        node.stop()


@pytest.fixture(scope="session")
def rabbit_manager(broker_uris):
    """nameko's management-API client, pointed at the test node (overrides the plugin's)."""
    from nameko.testing import rabbit

    return rabbit.Client(broker_uris[1])


@pytest.fixture
def settings(rabbit_config, tmp_path) -> Settings:
    """Settings for services under test: own vhost, own data folder, no /metrics ports."""
    return Settings(amqp_uri=rabbit_config["AMQP_URI"], var_dir=tmp_path, metrics_port_base=-1,
                    outbox_interval=0.05, evaluate_interval=3600)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
