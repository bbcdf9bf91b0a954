"""The toxiproxy-python client's own calls, unchanged, against the proxy."""

from __future__ import annotations

import json
import socket

import pytest
from toxiproxy.exceptions import NotFound, ProxyExists

from tests.proxy.conftest import closed_by_peer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_client_calls(toxiproxy, echo) -> None:
    upstream = f"{echo[0]}:{echo[1]}"
    proxy = toxiproxy.create(upstream=upstream, name="compat")
    try:
        assert proxy.upstream == upstream and proxy.enabled is True
        assert proxy.listen.startswith("127.0.0.1:")
        with pytest.raises(ProxyExists):
            toxiproxy.create(upstream=upstream, name="compat")
        assert toxiproxy.get_proxy("compat").listen == proxy.listen
        assert toxiproxy.get_proxy("nope") is None
        assert json.loads(toxiproxy.version()) == {"version": "2.12.0"}
        proxy.add_toxic(type="latency", attributes={"latency": 3})
        (toxic,) = proxy.toxics().values()
        assert (toxic.name, toxic.type, toxic.stream) == (
            "latency_downstream",
            "latency",
            "downstream",
        )
        assert proxy.get_toxic("latency_downstream").attributes == {"latency": 3, "jitter": 0}
        with proxy.down():
            assert toxiproxy.get_proxy("compat").enabled is False
        assert toxiproxy.get_proxy("compat").enabled is True
        assert proxy.destroy_toxic("latency_downstream")
        with pytest.raises(NotFound):
            proxy.destroy_toxic("latency_downstream")
        again = toxiproxy.populate(
            [{"name": "compat", "upstream": upstream, "listen": proxy.listen}]
        )
        assert again == []  # unchanged: kept
        assert toxiproxy.reset()
    finally:
        assert toxiproxy.destroy(toxiproxy.get_proxy("compat"))


@pytest.mark.parametrize(
    ("listen", "reported"), [("localhost:0", "127.0.0.1:"), ("[::1]:0", "[::1]:")]
)
def test_listen_reported_as_toxiproxy_does(toxiproxy, echo, listen, reported) -> None:
    if listen.startswith("[") and not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    try:
        proxy = toxiproxy.create(upstream=f"{echo[0]}:{echo[1]}", name="addr", listen=listen)
    except Exception as exc:  # pragma: no cover - a machine without ::1
        pytest.skip(f"cannot listen on {listen}: {exc}")
    try:
        assert proxy.listen.startswith(reported) and not proxy.listen.endswith(":0")
    finally:
        toxiproxy.destroy(proxy)


def test_unreachable_upstream_closes_the_client(proxied) -> None:
    link = proxied("127.0.0.1", _free_port())
    with socket.create_connection((link.host, link.port), timeout=5) as sock:
        assert closed_by_peer(sock)


def test_upstream_looping_back_is_refused_not_a_storm(toxiproxy, echo) -> None:
    proxy = toxiproxy.create(upstream=f"{echo[0]}:{echo[1]}", name="loop")
    try:
        import requests

        base = f"http://{toxiproxy.api_host}:{toxiproxy.api_port}"
        requests.patch(f"{base}/proxies/loop", json={"upstream": proxy.listen}, timeout=5)
        host, port = proxy.listen.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            assert closed_by_peer(sock)
        assert json.loads(toxiproxy.version())["version"]  # still serving
    finally:
        toxiproxy.destroy(toxiproxy.get_proxy("loop"))
