"""A taken port is named together with the setting that moves it."""
from __future__ import annotations

import socket

import pytest

from libs.localenv.ports import check_free


def test_taken_port_names_the_variable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(SystemExit) as info:
            check_free({"KEPU_GRPC_PORT": port})
    assert f"{port} (set KEPU_GRPC_PORT to another port)" in str(info.value)
    check_free({"KEPU_GRPC_PORT": port})  # free again once closed
