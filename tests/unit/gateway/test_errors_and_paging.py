"""The gateway's table of remote errors, and its page tokens."""
from __future__ import annotations

import grpc
import pytest

from services.gateway.errors import status_for
from services.gateway.paging import BadPageToken, page


@pytest.mark.parametrize(("exc_type", "code", "fields"), [
    ("BadRequest", grpc.StatusCode.INVALID_ARGUMENT, True), ("Conflict", grpc.StatusCode.ALREADY_EXISTS, True),
    ("NotFound", grpc.StatusCode.NOT_FOUND, False), ("PermissionDenied", grpc.StatusCode.PERMISSION_DENIED, False),
    ("StaleRevision", grpc.StatusCode.ABORTED, False), ("RequestExpired", grpc.StatusCode.DEADLINE_EXCEEDED, False),
    ("KeyError", grpc.StatusCode.INTERNAL, False),
])
def test_each_remote_error_has_the_status_a_client_can_act_on(exc_type, code, fields):
    assert status_for(exc_type) == (code, fields)


def test_pages_walk_the_whole_list_once():
    items, seen, token = list(range(7)), [], ""
    while True:
        chunk, token = page(items, 3, token)
        seen += chunk
        if not token:
            break
    assert seen == items


@pytest.mark.parametrize(("size", "token"), [(0, "not-base64!"), (5000, ""), (-1, "")])
def test_bad_page_sizes_and_tokens_name_the_field(size, token):
    with pytest.raises(BadPageToken, match="^page_(size|token):"):
        page([1, 2], size, token)
