"""Fixtures of the proxy tests: a loopback echo server and socket helpers."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from harness.proxy.echo import echo_server
from harness.proxy.link_control import Link

WAIT_S = 5.0  # bound of every wait in these tests


@pytest.fixture
def echo() -> Iterator[tuple[str, int]]:
    """A loopback echo server: every byte sent comes back, byte for byte."""
    with echo_server() as address:
        yield address


@pytest.fixture
def echo_link(echo: tuple[str, int], proxied) -> Link:
    return proxied(*echo)


def connect(link: Link, timeout: float = WAIT_S) -> socket.socket:
    sock = socket.create_connection((link.host, link.port), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def recv_exact(sock: socket.socket, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        data = sock.recv(n - len(out))
        if not data:
            raise EOFError(f"closed after {len(out)} of {n} bytes")
        out += data
    return bytes(out)


def recv_all(sock: socket.socket) -> bytes:
    """Everything until the peer closes (bounded by the socket's timeout)."""
    out = bytearray()
    while data := sock.recv(65536):
        out += data
    return bytes(out)


def round_trip(sock: socket.socket, payload: bytes) -> bytes:
    sock.sendall(payload)
    return recv_exact(sock, len(payload))


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def closed_by_peer(sock: socket.socket) -> bool:
    """True when the peer closed (FIN or RST) within the socket's timeout."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
