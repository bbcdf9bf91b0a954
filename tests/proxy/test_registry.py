"""Toxic kinds are pluggable: a new kind registers itself and the proxy serves it;
a kind that fails closes only its own connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from harness.errors import UnknownName
from harness.proxy.link_control import ProxyApiError
from harness.proxy.toxics import Stub, Toxic, register, toxic_class, toxic_names
from harness.proxy.toxics import base as registry
from harness.proxy.toxics.base import Attr
from tests.proxy.conftest import closed_by_peer, connect, round_trip


@contextmanager
def registered(cls: type[Toxic]) -> Iterator[None]:
    register(cls)
    try:
        yield
    finally:
        registry._REGISTRY.pop(cls.type_name, None)


class Upper(Toxic):
    """Upper-cases ASCII letters: shows a toxic may rewrite data."""

    type_name = "test_upper"
    attrs = (Attr("every", 1, 1, 10),)

    async def pipe(self, stub: Stub) -> None:
        while (chunk := await stub.recv()) is not None:
            stub.replace(chunk.data.upper())
            stub.forward()


class Broken(Toxic):
    type_name = "test_broken"

    async def pipe(self, stub: Stub) -> None:
        await stub.recv()
        raise RuntimeError("a bug in a toxic")


def test_registry_names_and_unknown() -> None:
    assert toxic_names() == sorted(toxic_names())
    with pytest.raises(UnknownName, match="known: bandwidth, latency"):
        toxic_class("nope")
    with pytest.raises(TypeError):
        register(type("Nameless", (Toxic,), {}))


def test_a_new_kind_is_served(echo_link) -> None:
    with registered(Upper):
        echo_link.add_toxic("test_upper", every=2)
        with connect(echo_link) as sock:
            assert round_trip(sock, b"shout") == b"SHOUT"
        with pytest.raises(ProxyApiError, match="every"):
            echo_link.add_toxic("test_upper", name="u2", every=0)


def test_a_failing_toxic_closes_only_its_connection(echo_link) -> None:
    with registered(Broken), connect(echo_link) as bystander:
        echo_link.add_toxic("test_broken", stream="upstream", toxicity=1.0)
        with connect(echo_link) as victim:
            victim.sendall(b"x")
            assert closed_by_peer(victim)
        echo_link.remove_toxic("test_broken_upstream")
        assert round_trip(bystander, b"still here") == b"still here"


def test_update_toxic_errors(echo_link) -> None:
    echo_link.add_toxic("latency", name="l", latency=1)
    with pytest.raises(ProxyApiError, match="latency"):
        echo_link.update_toxic("l", latency=-1)
    with pytest.raises(ProxyApiError, match="toxicity"):
        echo_link.update_toxic("l", toxicity=3)
    with pytest.raises(ProxyApiError, match="not found"):
        echo_link.update_toxic("missing", latency=1)
    echo_link.update_toxic("l", toxicity=0.25, jitter=1)
    toxic = echo_link.toxics()["l"]
    assert toxic.toxicity == 0.25 and toxic.attributes == {"latency": 1, "jitter": 1}


def test_public_surface() -> None:
    import harness.proxy

    assert sorted(harness.proxy.__all__) == [
        "Link",
        "ProxyApiError",
        "ProxyServer",
        "ToxiproxyClient",
        "toxiproxy_session",
    ]
