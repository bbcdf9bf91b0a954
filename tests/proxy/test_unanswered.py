"""``unanswered_connect``: a connect to its address hangs until the client's own timeout."""

from __future__ import annotations

import socket
import time

import pytest

from harness.proxy.unanswered import unanswered_connect


def test_a_connect_hangs_until_the_clients_timeout_and_the_address_is_gone_after() -> None:
    with unanswered_connect() as (host, port):
        t0 = time.perf_counter()
        with pytest.raises(TimeoutError), socket.create_connection((host, port), timeout=0.3):
            pass
        assert time.perf_counter() - t0 >= 0.3  # a timeout never fires early
    with pytest.raises(ConnectionRefusedError), socket.create_connection((host, port), 1.0):
        pass
