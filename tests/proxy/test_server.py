"""ProxyServer lifecycle, the Link facade's errors, external mode and the CLI."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys

import psutil
import pytest
import requests

from harness.errors import ConfigError, HarnessError, ServerError
from harness.proxy import ProxyServer
from harness.proxy.endpoint import parse_address, toxiproxy_session
from harness.proxy.link_control import Link, ProxyApiError, ToxiproxyClient
from tests.proxy.conftest import connect, round_trip


def _proxy_sockets(ports: set[int], upstream_port: int) -> list[object]:
    """This process's TCP sockets that belong to the proxy: listening or accepted on
    its ports, or connected to the upstream (the echo server's own sockets excluded)."""
    return [
        c
        for c in psutil.Process().net_connections(kind="tcp")
        if c.laddr.port in ports or (c.raddr and c.raddr.port == upstream_port)
    ]


def test_stop_closes_every_socket_and_joins(echo) -> None:
    server = ProxyServer(seed=1).start()
    client = ToxiproxyClient(server.api_host, server.api_port, server)
    link = client.link(*echo, name="leak")
    link.add_toxic("latency", latency=10)
    open_conns = [connect(link) for _ in range(3)]
    for sock in open_conns:
        assert round_trip(sock, b"x") == b"x"
    link.blackhole("upstream")
    thread = server._thread
    assert thread is not None and thread.is_alive()
    server_port = server.api_port
    server.stop()
    server.stop()  # idempotent
    assert not thread.is_alive()
    ports = {server_port, link.port}
    for sock in open_conns:
        sock.close()
    assert _proxy_sockets(ports, echo[1]) == []
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/version", timeout=2)


def test_context_manager_and_fixed_port() -> None:
    with ProxyServer() as first:
        port = first.api_port
        with pytest.raises(ServerError, match="could not listen"):
            ProxyServer(port=port).start()
        with pytest.raises(ServerError, match="already started"):
            first.start()
    with ProxyServer(port=port) as again:  # the port is free again
        assert requests.get(again.url + "/version", timeout=5).status_code == 200


@pytest.mark.parametrize(
    "kwargs",
    [{"port": -1}, {"port": 70000}, {"port": "80"}, {"host": ""}, {"seed": "x"}, {"seed": True}],
)
def test_bad_server_arguments(kwargs) -> None:
    with pytest.raises(ConfigError):
        ProxyServer(**kwargs)


def test_client_of_a_server(echo) -> None:
    with pytest.raises(ServerError, match="not running"):
        ProxyServer().client()
    with ProxyServer() as server:
        link = server.client().link(*echo, name="c")
        with connect(link) as sock:
            assert round_trip(sock, b"c") == b"c"


def test_call_before_start() -> None:
    async def nothing() -> None:
        return None

    coro = nothing()
    with pytest.raises(ServerError, match="not running"):
        ProxyServer().call(coro)
    coro.close()


def test_link_bad_arguments(toxiproxy, echo, proxied) -> None:
    for args in [("", 1), ("127.0.0.1", 0), ("127.0.0.1", 65536), ("127.0.0.1", "80"), (None, 1)]:
        with pytest.raises(ConfigError):
            toxiproxy.link(*args)
    with pytest.raises(ConfigError):
        toxiproxy.link(*echo, name="bad name!")
    link = proxied(*echo)
    with pytest.raises(ConfigError, match="stream"):
        link.add_toxic("latency", stream="sideways")
    with pytest.raises(ConfigError, match="toxicity"):
        link.add_toxic("latency", toxicity=1.5)
    with pytest.raises(ConfigError, match="type"):
        link.add_toxic("")
    with pytest.raises(ProxyApiError, match="unknown toxic type 'nope'"):
        link.add_toxic("nope")
    with pytest.raises(ProxyApiError, match="latency"):
        link.add_toxic("latency", latency=-1)
    with pytest.raises(ProxyApiError, match="not found"):
        link.remove_toxic("nothing")
    with pytest.raises(ProxyApiError, match="already exists"):
        proxied(*echo, name=link.name)
    assert isinstance(ProxyApiError("x"), HarnessError)


@pytest.mark.parametrize(("host", "port"), [("", 8474), (None, 8474), ("h", 0), ("h", "8474")])
def test_bad_client_address(host, port) -> None:
    with pytest.raises(ConfigError):
        ToxiproxyClient(host, port)


def test_link_context_forms(echo_link) -> None:
    with echo_link.blackholed("upstream") as name:
        assert name in echo_link.toxics()
    with echo_link.toxic("latency", latency=1) as name:
        assert echo_link.toxics()[name].attributes["latency"] == 1
    assert echo_link.toxics() == {}


def test_unreachable_api_is_one_clear_error(echo) -> None:
    with ProxyServer() as server:
        client = ToxiproxyClient(server.api_host, server.api_port, server)
        link = client.link(*echo, name="gone")
    with pytest.raises(ProxyApiError, match="not reachable"):
        link.cut()
    with pytest.raises(ProxyApiError, match="not reachable"):
        client.link(*echo)


def test_external_mode_drives_another_server(echo) -> None:
    # An "external Toxiproxy" here is a second server reached only by its address.
    with ProxyServer() as external:
        address = f"{external.api_host}:{external.api_port}"
        with toxiproxy_session(address) as client:
            assert client.external
            link = client.link(*echo, name="ext")
            with connect(link) as sock:
                assert round_trip(sock, b"ext") == b"ext"
            assert "ext" in requests.get(external.url + "/proxies", timeout=5).json()
            link.destroy()


@pytest.mark.parametrize("text", ["", "nohost", "host:", ":80", "h:0", "h:99999"])
def test_bad_external_address(text) -> None:
    with pytest.raises(ConfigError, match="HARNESS_TOXIPROXY"):
        parse_address(text)


def test_external_address_with_nobody_there() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with (
        pytest.raises(HarnessError, match="no Toxiproxy answers"),
        toxiproxy_session(f"127.0.0.1:{port}"),
    ):
        pass


def _harness(*args: str, **kwargs) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def test_cli_serve_and_stop_on_sigint(echo) -> None:
    proc = _harness("proxy", "serve", "--listen", "127.0.0.1:0", "--seed", "5")
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+) \(seed 5\)", line)
        assert match, line
        client = ToxiproxyClient("127.0.0.1", int(match.group(1)))
        link = Link.create(client, *echo, name="cli")
        with connect(link) as sock:
            assert round_trip(sock, b"cli") == b"cli"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["proxy", "serve", "--listen", "nope"], "HOST:PORT"),
        (["proxy", "serve", "--seed", "x"], "invalid int"),
        (["proxy"], "serve"),
    ],
)
def test_cli_bad_input_is_one_line(args, message) -> None:
    proc = _harness(*args)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_uvloop_missing_is_one_line() -> None:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("uvloop is installed here")
    proc = _harness("proxy", "serve", "--listen", "127.0.0.1:0", "--loop", "uvloop")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "uvloop is not installed" in err and "Traceback" not in err


def test_cli_port_in_use_is_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = _harness("proxy", "serve", "--listen", f"127.0.0.1:{port}")
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "cannot listen" in err and "Traceback" not in err


def test_fixture_points_the_client_at_the_server(toxiproxy) -> None:
    from toxiproxy.api import APIConsumer

    APIConsumer.port = 1  # another server was used in between
    assert toxiproxy.proxies() is not None
    assert (APIConsumer.host, APIConsumer.port) == (toxiproxy.api_host, toxiproxy.api_port)
    assert toxiproxy.running()
    assert os.environ.get("HARNESS_TOXIPROXY") or toxiproxy.server is not None
