"""Where the harness's proxy is: an in-process ``ProxyServer`` or an external Toxiproxy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from harness.errors import ConfigError
from harness.proxy.link_control import ToxiproxyClient
from harness.proxy.server import ProxyServer

ENV = "HARNESS_TOXIPROXY"


def parse_address(text: str) -> tuple[str, int]:
    host, sep, port = text.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConfigError(
            f"{ENV} / --harness-toxiproxy must be host:port of a Toxiproxy API, "
            f"e.g. 127.0.0.1:8474; got {text!r}"
        )
    return host.strip("[]"), int(port)


@contextmanager
def toxiproxy_session(external: str | None = None, seed: int = 0) -> Iterator[ToxiproxyClient]:
    """A client bound to a running proxy API, stopped (if ours) on exit."""
    if external:
        host, port = parse_address(external)
        client = ToxiproxyClient(host, port)
        if not client.call("reach the external Toxiproxy", client.running):
            raise ConfigError(
                f"no Toxiproxy answers at {host}:{port} ({ENV}); start it or unset {ENV}"
            )
        yield client
        return
    with ProxyServer(seed=seed) as server:
        yield server.client()
