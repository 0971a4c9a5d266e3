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


def free_port() -> int:
    """A port the kernel has just handed out (nobody holds it at this moment)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_range(n: int) -> int:
    """A base port with ``n`` free ports from it on (the /metrics ports are base + offset, and
    replicas add blocks above)."""
    for _ in range(100):
        base = free_port()
        if base + n >= 65535:
            continue
        socks: list[socket.socket] = []
        try:
            for port in range(base, base + n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError(f"no range of {n} free ports found")
