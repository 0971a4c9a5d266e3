"""Logging set-up: one line per record, naming the service, readable by operators."""
from __future__ import annotations

import logging
import re

from libs.common.errors import clip

# the password in a URI (``amqp://user:password@host``); nameko masks only a node list's first
PASSWORD_IN_URI = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@;\s]+:)[^@;\s]+@", re.IGNORECASE)


class HiddenPasswords(logging.Filter):
    """No password of a broker URI reaches the log, whichever node of a list it belongs to."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "://" in message:
            masked = PASSWORD_IN_URI.sub(r"\g<head>********@", message)
            if masked != message:
                record.msg, record.args = masked, None
        return True


class ClientErrorLine(logging.Filter):
    """nameko logs an RPC's expected exception (a refused request: the client's error, see
    ``libs.common.rpc``) as a WARNING with a traceback; a burst of bad requests then floods the
    log. This turns each into one INFO line naming the method and the first problem, and a call
    that failed because the database is away into one WARNING line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("error handling worker") and record.exc_info:
            return self._database_away(record)
        if not (isinstance(record.msg, str) and record.msg.startswith("(expected) error handling worker")):
            return True
        if not logging.getLogger().isEnabledFor(logging.INFO):  # KEPU_LOG_LEVEL=WARNING: not shown at all
            return False
        worker_ctx, exc = record.args
        entrypoint = getattr(worker_ctx, "entrypoint", None)
        method = f"{worker_ctx.service_name}.{entrypoint.method_name}" if entrypoint else str(worker_ctx)
        first = str(exc).splitlines()[0] if str(exc) else ""
        record.msg, record.args = "%s refused a request (%s): %s", (method, type(exc).__name__, clip(first, 300))
        record.levelno, record.levelname, record.exc_info, record.exc_text = logging.INFO, "INFO", None, None
        return True


    @staticmethod
    def _database_away(record: logging.LogRecord) -> bool:
        """While the database is away every call fails alike: one WARNING line each, no traceback."""
        from libs.common.db import database_unreachable

        exc = record.exc_info[1]
        if database_unreachable(exc):
            worker_ctx = record.args[0]
            entrypoint = getattr(worker_ctx, "entrypoint", None)
            method = f"{worker_ctx.service_name}.{entrypoint.method_name}" if entrypoint else str(worker_ctx)
            first = str(getattr(exc, "orig", exc)).splitlines()[0] if str(exc) else ""
            record.msg, record.args = "%s could not reach its database (%s); check the database", (method,
                                                                                                    clip(first, 200))
            record.levelno, record.levelname, record.exc_info, record.exc_text = logging.WARNING, "WARNING", None, None
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format=f"%(asctime)s %(levelname)-7s {service}: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
        force=True,
    )
    for noisy in ("kombu", "amqp", "nameko", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    logging.getLogger("nameko.containers").addFilter(ClientErrorLine())
    for handler in logging.getLogger().handlers:
        handler.addFilter(HiddenPasswords())
