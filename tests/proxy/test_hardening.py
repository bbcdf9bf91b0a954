"""Regression tests of issue 14's proxy defects (1, 8, 9, 13), one or more per defect.

Each was found by a new user, a fuzzer or a Toxiproxy client; each test failed
before its fix.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import psutil
import pytest
import requests

from harness.proxy import ProxyServer
from harness.proxy.toxics.slicer import Slicer
from tests.proxy.conftest import closed_by_peer, recv_exact

WAIT_S = 5.0
# A storm of self-dialled connections reaches thousands of descriptors in a second;
# a refused loop costs a few. The margin covers the echo server and the test's sockets.
FD_MARGIN = 40


@pytest.fixture
def server() -> Iterator[ProxyServer]:
    with ProxyServer(seed=3) as srv:
        yield srv


def _call(srv: ProxyServer, method: str, path: str, body: object = None, raw: bytes | None = None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    return requests.request(method, srv.url + path, data=data, timeout=WAIT_S)


def _port(listen: str) -> int:
    return int(listen.rsplit(":", 1)[1])


def _raw(srv: ProxyServer, data: bytes, half_close: bool = True) -> tuple[bytes, float]:
    """Send raw bytes to the API; the reply and how long it took to come."""
    with socket.create_connection((srv.api_host, srv.api_port), timeout=20) as sock:
        start = time.monotonic()
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
        return out, time.monotonic() - start


def _status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


# -- defect 1: a self-loop spelled another way --------------------------------
def _spellings(listen_host: str, port: int) -> list[str]:
    """Upstream spellings that reach a listener on ``listen_host:port`` from here."""
    v4 = [f"127.1:{port}", f"127.000.000.001:{port}", f"localhost:{port}", f"2130706433:{port}"]
    if listen_host == "127.0.0.1":
        return v4
    if listen_host == "::1":
        return [f"[0:0:0:0:0:0:0:1]:{port}", f"[::0001]:{port}"]
    # every interface: any local address is the proxy itself
    lan = [
        a.address
        for addrs in psutil.net_if_addrs().values()
        for a in addrs
        if a.family == socket.AF_INET and not a.address.startswith("127.")
    ]
    return [*v4, f"127.0.0.2:{port}", f"[::ffff:127.0.0.1]:{port}", f"0.0.0.0:{port}"] + [
        f"{ip}:{port}" for ip in lan[:1]
    ]


@pytest.mark.parametrize("listen_host", ["127.0.0.1", "0.0.0.0", "::1"])
def test_defect1_self_loop_spelled_another_way_is_refused(server, listen_host) -> None:
    if listen_host == "::1" and not _ipv6_loopback():
        pytest.skip("no IPv6 loopback here")
    bracket = f"[{listen_host}]" if ":" in listen_host else listen_host
    created = _call(
        server, "POST", "/proxies", {"name": "self", "listen": f"{bracket}:0", "upstream": "x:1"}
    )
    assert created.status_code == 201, created.text
    port = _port(created.json()["listen"])
    me = psutil.Process()
    for upstream in _spellings(listen_host, port):
        assert _call(server, "POST", "/proxies/self", {"upstream": upstream}).status_code == 200
        fds = me.num_fds()
        client_host = "::1" if listen_host == "::1" else "127.0.0.1"
        with socket.create_connection((client_host, port), timeout=WAIT_S) as sock:
            assert closed_by_peer(sock), upstream
        assert me.num_fds() < fds + FD_MARGIN, upstream
        assert _call(server, "GET", "/version").status_code == 200


def test_defect1_refused_loop_is_logged_once_not_per_connection(server, caplog) -> None:
    created = _call(server, "POST", "/proxies", {"name": "self", "upstream": "x:1"}).json()
    port = _port(created["listen"])
    _call(server, "POST", "/proxies/self", {"upstream": f"127.1:{port}"})
    with caplog.at_level(logging.WARNING, logger="harness.proxy.listener"):
        for _ in range(10):
            with socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) as sock:
                assert closed_by_peer(sock)
    warnings = [r for r in caplog.records if "leads back" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]


def test_defect1_two_hop_loop_spelled_another_way_is_refused(server) -> None:
    a = _call(server, "POST", "/proxies", {"name": "a", "upstream": "x:1"}).json()
    b = _call(server, "POST", "/proxies", {"name": "b", "upstream": "x:1"}).json()
    _call(server, "POST", "/proxies/a", {"upstream": f"127.1:{_port(b['listen'])}"})
    _call(server, "POST", "/proxies/b", {"upstream": f"localhost:{_port(a['listen'])}"})
    fds = psutil.Process().num_fds()
    with socket.create_connection(("127.0.0.1", _port(a["listen"])), timeout=WAIT_S) as sock:
        assert closed_by_peer(sock)
    assert psutil.Process().num_fds() < fds + FD_MARGIN


def test_defect1_connections_one_proxy_holds_are_bounded(echo) -> None:
    limit = 5
    with ProxyServer(seed=1, max_connections=limit) as srv:
        listen = _call(
            srv, "POST", "/proxies", {"name": "cap", "upstream": f"{echo[0]}:{echo[1]}"}
        ).json()["listen"]
        port = _port(listen)
        held = [socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) for _ in range(limit)]
        try:
            for sock in held:
                sock.sendall(b"ok")
                assert recv_exact(sock, 2) == b"ok"  # each is through, counted
            with socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) as over:
                assert closed_by_peer(over)  # one over the limit: refused
            held.pop().close()
            deadline = time.monotonic() + WAIT_S
            while True:  # the freed slot is reused once the proxy has seen the close
                with socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) as again:
                    again.sendall(b"ok")
                    try:
                        if recv_exact(again, 2) == b"ok":
                            break
                    except (EOFError, ConnectionResetError):
                        assert time.monotonic() < deadline
        finally:
            for sock in held:
                sock.close()


def test_defect1_loop_across_two_servers_stops_at_the_limit() -> None:
    """A loop no resolution can see (two servers dialling each other) ends at the limit."""
    limit = 20
    with (
        ProxyServer(seed=1, max_connections=limit) as one,
        ProxyServer(seed=2, max_connections=limit) as two,
    ):
        a = _call(one, "POST", "/proxies", {"name": "a", "upstream": "x:1"}).json()
        b = _call(two, "POST", "/proxies", {"name": "b", "upstream": "x:1"}).json()
        _call(one, "POST", "/proxies/a", {"upstream": b["listen"]})
        _call(two, "POST", "/proxies/b", {"upstream": a["listen"]})
        fds = psutil.Process().num_fds()
        with socket.create_connection(("127.0.0.1", _port(a["listen"])), timeout=WAIT_S) as sock:
            assert closed_by_peer(sock)  # the chain hit the limit and unwound
        # each hop is two descriptors per server side: bounded by the limit
        assert psutil.Process().num_fds() < fds + 4 * limit + FD_MARGIN
        assert _call(one, "GET", "/version").status_code == 200


# -- defect 8: API edge cases -------------------------------------------------
def test_defect8_lone_surrogate_name_is_addressable_as_toxiproxy(server, echo) -> None:
    body = b'{"name":"\\ud800","upstream":"%s:%d"}' % (echo[0].encode(), echo[1])
    created = _call(server, "POST", "/proxies", raw=body)
    # Go's JSON decoder turns a lone surrogate into U+FFFD; so does ours.
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "\ufffd"
    port = _port(created.json()["listen"])
    assert _call(server, "GET", "/proxies/%EF%BF%BD").status_code == 200
    assert "\ufffd" in _call(server, "GET", "/proxies").json()
    assert _call(server, "DELETE", "/proxies/%EF%BF%BD").status_code == 204
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))  # the port is free again


@pytest.mark.parametrize("name", [".", ".."])
def test_defect8_names_no_route_can_address_are_refused(server, name) -> None:
    created = _call(server, "POST", "/proxies", {"name": name, "upstream": "x:1"})
    assert created.status_code == 400 and "name" in created.json()["error"]
    assert _call(server, "GET", "/proxies").json() == {}


def test_defect8_two_content_lengths_are_400_at_once(server) -> None:
    body = b'{"name":"cl","upstream":"x:1"}'
    request = (
        b"POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nContent-Length: 2\r\n\r\n%s"
        % (len(body), body)
    )
    reply, _ = _raw(server, request, half_close=False)
    # refused on reading the headers, without waiting for any body
    assert _status(reply) == 400 and b"Content-Length given more than once" in reply
    assert _call(server, "GET", "/proxies").json() == {}


def test_defect8_body_shorter_than_content_length_is_400_at_once(server) -> None:
    request = b"POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{}"
    reply, _ = _raw(server, request, half_close=True)  # the client has said all it will
    # "ended": answered on the end of the stream, not after a wait
    assert _status(reply) == 400 and b"ended after 2 of 100 bytes" in reply


def test_defect8_body_shorter_than_content_length_is_400_promptly(server) -> None:
    request = b"POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{}"
    reply, took = _raw(server, request, half_close=False)  # the client waits for a reply
    # after a short stall (2 s), not the 15 s read timeout; the margin is for a loaded machine
    assert _status(reply) == 400 and b"stopped after 2 of 100 bytes" in reply
    assert took < 12.0


@pytest.mark.parametrize(
    "header",
    [b"Content Length: 2", b"X Y: z", b"Bad\x01Name: z", b"Host: a\x00b", b"(x): y"],
)
def test_defect8_malformed_header_is_400(server, header) -> None:
    request = b"GET /version HTTP/1.1\r\n" + header + b"\r\n\r\n"
    reply, _ = _raw(server, request)
    assert _status(reply) == 400


def test_defect8_ipv6_api_address_is_printed_in_brackets() -> None:
    if not _ipv6_loopback():
        pytest.skip("no IPv6 loopback here")
    with ProxyServer(host="::1") as srv:
        assert re.fullmatch(r"http://\[::1\]:\d+", srv.url)
        assert requests.get(srv.url + "/version", timeout=WAIT_S).status_code == 200
    proc = _serve("--listen", "[::1]:0")
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert re.search(r"API on http://\[::1\]:\d+ ", line), line
    finally:
        _stop(proc)


# -- defect 9: binding beyond loopback ----------------------------------------
def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "proxy", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    return err


@pytest.mark.parametrize("listen", ["0.0.0.0:0", "[::]:0"])
def test_defect9_listen_beyond_loopback_needs_a_flag(listen) -> None:
    proc = _serve("--listen", listen)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2, out
    assert "--allow-remote" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and out == ""


def test_defect9_allow_remote_binds_and_warns() -> None:
    proc = _serve("--listen", "0.0.0.0:0", "--allow-remote")
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "API on http://0.0.0.0:" in line, line
    finally:
        err = _stop(proc)
    assert "warning" in err.lower() and "no authentication" in err


def test_defect9_loopback_names_need_no_flag() -> None:
    proc = _serve("--listen", "localhost:0")
    try:
        assert proc.stdout is not None
        assert "API on http://127.0.0.1:" in proc.stdout.readline()
    finally:
        err = _stop(proc)
    assert "warning" not in err.lower()


# -- defect 13: what Toxiproxy's clients send ---------------------------------
def test_defect13_slicer_variation_equal_to_average_is_accepted(server, echo) -> None:
    _call(server, "POST", "/proxies", {"name": "sl", "upstream": f"{echo[0]}:{echo[1]}"})
    toxic = {"type": "slicer", "attributes": {"average_size": 10, "size_variation": 10}}
    created = _call(server, "POST", "/proxies/sl/toxics", toxic)  # toxiproxy-node-client's test
    assert created.status_code == 200, created.text
    assert created.json()["attributes"]["size_variation"] == 10
    listen = _call(server, "GET", "/proxies/sl").json()["listen"]
    payload = bytes(range(256)) * 40
    with socket.create_connection(("127.0.0.1", _port(listen)), timeout=WAIT_S) as sock:
        sock.sendall(payload)
        assert recv_exact(sock, len(payload)) == payload


@pytest.mark.parametrize(
    ("attributes", "field"),
    [
        ({"average_size": 10, "size_variation": 11}, "size_variation"),
        ({"average_size": 0}, "average_size"),
        ({"average_size": 0, "size_variation": 0}, "average_size"),
    ],
)
def test_defect13_slicer_settings_that_break_toxiproxy_are_400(server, attributes, field) -> None:
    _call(server, "POST", "/proxies", {"name": "sl", "upstream": "x:1"})
    refused = _call(
        server, "POST", "/proxies/sl/toxics", {"type": "slicer", "attributes": attributes}
    )
    assert refused.status_code == 400 and field in refused.json()["error"]


@pytest.mark.parametrize("average", [1, 2, 3, 10, 1000])
def test_defect13_slicer_equality_never_yields_empty_pieces(average) -> None:
    import random

    slicer = Slicer.parse({"average_size": average, "size_variation": average})
    rng = random.Random(average)
    for total in [1, 2, 2 * average, 2 * average + 1, 2 * average + 2, 5 * average + 3, 65536]:
        sizes = slicer.sizes(total, rng)
        assert sum(sizes) == total and all(size > 0 for size in sizes)
        assert all(size <= 2 * average for size in sizes)


def test_defect13_listen_on_every_interface_is_reported_as_toxiproxy(server, echo) -> None:
    created = _call(
        server,
        "POST",
        "/proxies",
        {"name": "all", "listen": "0.0.0.0:0", "upstream": f"{echo[0]}:{echo[1]}"},
    )
    assert created.status_code == 201, created.text
    listen = created.json()["listen"]
    # Go listens on a dual-stack socket for 0.0.0.0 and prints it as [::]:port.
    expected = r"\[::\]:\d+" if socket.has_dualstack_ipv6() else r"0\.0\.0\.0:\d+"
    assert re.fullmatch(expected, listen), listen
    with socket.create_connection(("127.0.0.1", _port(listen)), timeout=WAIT_S) as sock:
        sock.sendall(b"v4")
        assert recv_exact(sock, 2) == b"v4"


def test_defect1_addresses_compared_as_routed_not_as_spelled() -> None:
    import asyncio
    import ipaddress

    from harness.proxy.resolve import LocalAddresses, accepts, canonical_ip, resolve

    ip = ipaddress.ip_address
    assert canonical_ip("::ffff:127.0.0.1") == ip("127.0.0.1")
    assert canonical_ip("0.0.0.0") == ip("127.0.0.1") and canonical_ip("::") == ip("::1")
    assert canonical_ip("fe80::1%eth0") == ip("fe80::1")
    targets = asyncio.run(resolve("127.1", 80))
    assert [t.address for t in targets] == [(ip("127.0.0.1"), 80)]
    scoped = asyncio.run(resolve("fe80::1%lo", 80))
    assert scoped[0].dial_host == "fe80::1%lo"  # the scope id is kept for dialling
    local = LocalAddresses()
    v4_any, v6_any = (ip("0.0.0.0"), 80), (ip("::"), 80)
    assert accepts(v6_any, (ip("127.0.0.5"), 80), local)  # dual-stack takes IPv4
    assert accepts(v4_any, (ip("127.0.0.5"), 80), local)
    assert not accepts(v4_any, (ip("::1"), 80), local)  # 0.0.0.0 takes no IPv6
    assert not accepts(v6_any, (ip("127.0.0.1"), 81), local)  # another port
    assert not accepts(v6_any, (ip("203.0.113.9"), 80), local)  # not this host
    assert not accepts((ip("127.0.0.1"), 80), (ip("127.0.0.2"), 80), local)
