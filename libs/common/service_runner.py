"""Run one nameko service: ``python -m libs.common.service_runner activities``.

Our own runner instead of ``nameko run``: that one imports pkg_resources and reads a YAML
config, while ours takes the same ``KEPU_*`` settings as everything else.
"""
from __future__ import annotations

import eventlet  # `-m libs.common.service_runner` has already run libs/__init__ (quiets eventlet)

eventlet.monkey_patch()  # noqa: E402 - must precede every other import

import importlib  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from nameko.runners import ServiceRunner  # noqa: E402

from libs.common.logs import configure_logging  # noqa: E402
from libs.common.settings import SERVICES, get_settings  # noqa: E402


def service_class(name: str) -> type:
    module = importlib.import_module(f"services.{name}.service")
    return next(obj for obj in vars(module).values() if getattr(obj, "name", None) == name and isinstance(obj, type))


def main(name: str) -> None:
    if name not in SERVICES:
        raise SystemExit(f"unknown service {name!r}; choose one of {', '.join(SERVICES)}")
    settings = get_settings()
    configure_logging(name, settings.log_level)
    runner = ServiceRunner(settings.nameko_config())
    runner.add_service(service_class(name))

    stopping = []

    def shutdown(signum, frame):
        if not stopping:  # Ctrl-C in a terminal may also deliver SIGINT after SIGTERM
            stopping.append(signum)
            eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
    runner.wait()


if __name__ == "__main__":
    main(sys.argv[1])
