"""The system the browser tests use: `kepu run` (with its portal) on a vhost of its own on the
test broker, a registered town, and an account per role made as an operator makes them."""
from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests

from libs.cli.common import wait_until_activities_know
from libs.common.bus.senders import broker_user
from libs.common.rpc import ClusterRpcProxy
from libs.localenv.ports import free_port, free_range
from tests.e2e.system import kepu, start_system, stop_system

AS_OF = "2025-06-30"
PASSWORD = "kepu-portal-2025"
ACCOUNTS = {  # account: (organisation, role, name)
    "fulian-wang": ("women-federation", "reporter", "王芳"),
    "fulian-zhao": ("women-federation", "viewer", "赵敏"),
    "edu-chen": ("edu", "reporter", "陈晨"),
    "office-li": ("leading-group-office", "admin", "李明"),
    "town-a-liu": ("town-a", "reporter", "刘强"),
}


@contextmanager
def vhost_of(amqp_uri: str, api_uri: str):
    """A fresh vhost on the test broker, its administrator allowed everything there; removed after."""
    name = f"browser-{uuid.uuid4().hex[:8]}"
    api = urlsplit(api_uri)
    base, auth = f"{api.scheme}://{api.hostname}:{api.port}/api", (api.username or "", api.password or "")
    admin = broker_user(amqp_uri)
    requests.put(f"{base}/vhosts/{name}", auth=auth, timeout=10).raise_for_status()
    requests.put(f"{base}/permissions/{name}/{quote(admin, safe='')}", auth=auth, timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    parts = urlsplit(amqp_uri)
    try:
        yield f"{parts.scheme}://{parts.netloc}/{name}"
    finally:
        requests.delete(f"{base}/vhosts/{name}", auth=auth, timeout=10)


@contextmanager
def portal_system(var: Path):
    """`kepu run` on the test broker (``make test`` gives its addresses), with the accounts made;
    yields the environment, the portal's address, the set-up links and what `kepu run` printed."""
    amqp, api = os.environ["KEPU_AMQP_URI"], os.environ["KEPU_RABBIT_API_URI"]
    with vhost_of(amqp, api) as vhost_uri:
        env = {**os.environ, "KEPU_AMQP_URI": vhost_uri, "KEPU_MANAGE_BROKER": "false", "KEPU_VAR_DIR": str(var),
               "KEPU_BUS_OPERATORS": f"operator,{broker_user(amqp)}", "KEPU_PROMETHEUS": "false",
               "KEPU_GRPC_PORT": str(free_port()), "KEPU_PORTAL_PORT": str(free_port()),
               "KEPU_METRICS_PORT_BASE": str(free_range(6)), "KEPU_AS_OF": AS_OF,
               "KEPU_EVALUATE_INTERVAL": "3600", "KEPU_GRPC_TOKEN_CACHE_SECONDS": "0.2",
               "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
        proc, banner = start_system(env)
        try:
            with ClusterRpcProxy({"AMQP_URI": vhost_uri}, timeout=30) as rpc:
                rpc.organisations.register_org({"code": "town-a", "name": "示例镇甲", "kind": "town",
                                                "is_example": True})
                assert wait_until_activities_know(rpc, ["town-a"])
            links = {}
            for account, (org, role, name) in ACCOUNTS.items():
                out = kepu(env, "org", "user", "add", org, account, "--name", name, "--role", role).stdout
                links[account] = re.search(r"http://\S+/setup/\S+", out)[0]
            yield {"env": env, "base": f"http://127.0.0.1:{env['KEPU_PORTAL_PORT']}", "links": links,
                   "var": var, "banner": banner}
        finally:
            stop_system(proc)
