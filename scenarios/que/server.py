"""Restarting the scenario's Redis and waiting until it serves data again.

A server that answers INFO may still be replaying its AOF (``-LOADING``); a
command then fails with BusyLoadingError. Wait for PING to pass, bounded.
"""

from __future__ import annotations

import time
from typing import Any

import redis

LOAD_WAIT_S = 10.0


def wait_loaded(host: str, port: int) -> None:
    probe = redis.Redis(host=host, port=port, socket_timeout=1.0)
    deadline = time.monotonic() + LOAD_WAIT_S
    try:
        while True:
            try:
                probe.ping()
                return
            except redis.BusyLoadingError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.005)
    finally:
        probe.close()


def restart(server: Any) -> None:
    """Start the (killed) server again on its port, with its data, and wait until loaded."""
    server.restart()
    wait_loaded(server.host, server.port)
