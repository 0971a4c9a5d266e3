"""A refused request is one INFO line, never a traceback (libs/common/logs.py): 80 bad requests
once made a 22 MB log."""
from __future__ import annotations

import logging
import sys
from types import SimpleNamespace

from nameko.exceptions import BadRequest

from libs.common.logs import ClientErrorLine


def expected_error_record(exc: Exception) -> logging.LogRecord:
    """What nameko's container logs for an RPC's expected exception."""
    worker = SimpleNamespace(service_name="activities", entrypoint=SimpleNamespace(method_name="record_activity"))
    try:
        raise exc
    except Exception:
        info = sys.exc_info()
    return logging.LogRecord("nameko.containers", logging.WARNING, __file__, 1,
                             "(expected) error handling worker %s: %s", (worker, exc), info)


def test_a_refused_request_becomes_one_short_info_line(caplog):
    record = expected_error_record(BadRequest("start_date: " + "x" * 5000 + "\nquantities.sessions: too many"))
    logging.getLogger().setLevel(logging.INFO)
    assert ClientErrorLine().filter(record)
    line = record.getMessage()
    assert record.levelno == logging.INFO and record.exc_info is None and "\n" not in line
    assert line.startswith("activities.record_activity refused a request (BadRequest): start_date: ")
    assert len(line) < 400


def test_other_records_pass_untouched():
    record = logging.LogRecord("nameko.containers", logging.ERROR, __file__, 1, "error handling worker %s", ("w",),
                               None)
    assert ClientErrorLine().filter(record) and record.levelno == logging.ERROR


def test_a_call_failing_while_the_database_is_away_is_one_warning_line():
    from sqlalchemy.exc import OperationalError

    exc = OperationalError("SELECT 1", {}, Exception('connection failed: connection to server at "127.0.0.1", '
                                                     "port 5793 failed: Connection refused"))
    record = expected_error_record(exc)
    record.msg = "error handling worker %s: %s"
    record.levelno = logging.ERROR
    assert ClientErrorLine().filter(record)
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert record.getMessage().startswith("activities.record_activity could not reach its database (connection "
                                          "failed")
