"""The gateway's table of remote errors, and its page tokens."""
from __future__ import annotations

import grpc
import pytest
from nameko.exceptions import deserialize, serialize

from libs.common.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PermissionDenied,
    RequestExpired,
    StaleRevision,
    Violation,
)
from services.gateway.errors import status_for
from services.gateway.paging import page

VIOLATIONS = [Violation("rows[3].quantities.booths", "quantity_out_of_bounds", "展位应为整数，不能是 2.5")]


@pytest.mark.parametrize(("error", "code"), [
    (BadRequest(VIOLATIONS), grpc.StatusCode.INVALID_ARGUMENT), (Conflict(VIOLATIONS), grpc.StatusCode.ALREADY_EXISTS),
    (NotFound("no activity 'x'"), grpc.StatusCode.NOT_FOUND),
    (PermissionDenied("not yours"), grpc.StatusCode.PERMISSION_DENIED),
    (StaleRevision("read it again"), grpc.StatusCode.ABORTED),
    (RequestExpired("too late"), grpc.StatusCode.DEADLINE_EXCEEDED),
])
def test_each_refusal_crosses_the_bus_whole_and_has_the_status_a_client_can_act_on(error, code):
    """What nameko sends back for a raised refusal becomes the same exception, with its data."""
    back = deserialize(serialize(error))
    assert type(back) is type(error) and str(back) == str(error)
    assert getattr(back, "violations", None) == getattr(error, "violations", None)
    assert status_for(back) == code


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
    with pytest.raises(BadRequest, match="^page_(size|token):"):
        page([1, 2], size, token)
