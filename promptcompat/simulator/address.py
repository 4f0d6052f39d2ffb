"""Where the simulator listens: loopback only, on a socket bound here so port 0 works."""

from __future__ import annotations

import ipaddress
import socket

from promptcompat.errors import SimulatorError

LISTENING_PREFIX = "promptcompat-simulator listening on "


def loopback_host(host: str) -> str:
    """``host`` if it is a loopback address ("localhost" means 127.0.0.1), else SimulatorError."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise SimulatorError(
            f"refusing to listen on {host!r}: the simulator accepts any API key, so it only"
            " listens on a loopback address (127.0.0.1, ::1)",
            where="--host",
        )
    return str(address)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket; with port 0 the kernel picks a free port (read it back)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise SimulatorError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


def base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
