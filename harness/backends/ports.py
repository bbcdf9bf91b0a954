"""Free loopback ports. The system's own servers' ports are never chosen."""

from __future__ import annotations

import socket

import port_for

LOOPBACK = "127.0.0.1"
#: never handed out, even if free: the system PostgreSQL and Redis live there.
RESERVED = frozenset({5432, 6379})


def free_port() -> int:
    """A port free right now; a server may still lose the race for it (callers retry)."""
    # port_for picks outside the ephemeral range, so a restarted server's port is
    # not grabbed meanwhile by some client's outgoing connection.
    return int(port_for.select_random(exclude_ports=RESERVED))


def is_free(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As servers do: connections of a killed server in TIME_WAIT do not make it busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
