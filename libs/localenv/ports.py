"""Port checks with messages that say which setting moves the port."""
from __future__ import annotations

import socket


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def check_free(ports: dict[str, int]) -> None:
    """Raise SystemExit naming each taken port and the environment variable that moves it."""
    taken = [f"  {port} (set {var} to another port)" for var, port in ports.items() if port_in_use(port)]
    if taken:
        raise SystemExit("these ports are already in use:\n" + "\n".join(taken))


def wait_for_port(port: int, timeout: float, host: str = "127.0.0.1") -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_in_use(port, host):
            return True
        time.sleep(0.1)
    return False
