"""One contract, checked on every registered toxic kind.

For each kind: its attributes are validated (type, range, unknown names); it
can be added, changed and removed on an open connection without losing or
reordering a byte; and it can be declared together with its proxy.
"""

from __future__ import annotations

import pytest
import requests

from harness.proxy.toxics import toxic_class, toxic_names
from tests.proxy.conftest import closed_by_peer, connect, recv_exact, round_trip

# Attributes under which each kind lets data through (possibly slowly), and a second set.
BENIGN: dict[str, tuple[dict[str, int], dict[str, int]]] = {
    "latency": ({"latency": 5}, {"latency": 1, "jitter": 1}),
    "bandwidth": ({"rate": 10_000}, {"rate": 20_000}),
    "slow_close": ({"delay": 10}, {"delay": 20}),
    "timeout": ({"timeout": 0}, {"timeout": 60_000}),
    "reset_peer": ({"timeout": 60_000}, {"timeout": 50_000}),
    "slicer": ({"average_size": 7}, {"average_size": 64, "size_variation": 16}),
    "limit_data": ({"bytes": 10**9}, {"bytes": 10**8}),
}
# Kinds that swallow or act on data: checked without traffic while present.
ACTS_ON_DATA = {"timeout", "reset_peer"}
KINDS = toxic_names()


def test_every_kind_has_a_conformance_entry() -> None:
    assert (
        set(KINDS)
        == set(BENIGN)
        == {
            "latency",
            "bandwidth",
            "slow_close",
            "timeout",
            "reset_peer",
            "slicer",
            "limit_data",
        }
    )


def _post(link, body):
    base = f"http://{link.client.api_host}:{link.client.api_port}"
    return requests.post(f"{base}/proxies/{link.name}/toxics", json=body, timeout=5)


@pytest.mark.parametrize("kind", KINDS)
def test_attributes_are_validated(kind, echo_link) -> None:
    cls = toxic_class(kind)
    bad_values = ["1", 1.5, True, None, [], {}, -1, 2**64]
    for attr in cls.attrs:
        for value in bad_values:
            if value is None and attr.default is not None:
                continue
            attributes = {**BENIGN[kind][0], attr.name: value}
            response = _post(echo_link, {"type": kind, "attributes": attributes})
            assert response.status_code == 400, (attr.name, value, response.text)
            assert attr.name in response.json()["error"]
    response = _post(echo_link, {"type": kind, "attributes": {"no_such_attribute": 1}})
    assert response.status_code == 400
    assert "no_such_attribute" in response.json()["error"]
    for toxicity in [-0.1, 1.5, "1", True]:
        response = _post(
            echo_link, {"type": kind, "toxicity": toxicity, "attributes": BENIGN[kind][0]}
        )
        assert response.status_code == 400, toxicity
    response = _post(echo_link, {"type": kind, "stream": "sideways", "attributes": BENIGN[kind][0]})
    assert response.status_code == 400
    assert echo_link.toxics() == {}  # nothing half-added
    with connect(echo_link) as sock:  # and the link still works
        assert round_trip(sock, b"ok") == b"ok"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("stream", ["upstream", "downstream"])
def test_add_update_remove_on_open_connection(kind, stream, echo_link) -> None:
    first, second = BENIGN[kind]
    payload = bytes(range(256)) * 8
    with connect(echo_link) as sock:
        assert round_trip(sock, payload) == payload
        name = echo_link.add_toxic(kind, stream, **first)
        if kind not in ACTS_ON_DATA:
            assert round_trip(sock, payload) == payload
        echo_link.update_toxic(name, **second)
        assert echo_link.toxics()[name].attributes == {
            **toxic_class(kind).parse(first).values,
            **second,
        }
        if kind not in ACTS_ON_DATA:
            assert round_trip(sock, payload) == payload
        echo_link.remove_toxic(name)
        if kind == "timeout":
            assert closed_by_peer(sock)  # as Toxiproxy: removal closes what it held
        else:
            assert round_trip(sock, payload) == payload


@pytest.mark.parametrize("kind", sorted(set(KINDS) - ACTS_ON_DATA))
def test_changes_under_flowing_traffic_lose_nothing(kind, echo_link) -> None:
    # Toggle the toxic while a stream is in flight; every byte arrives, in order.
    first, second = BENIGN[kind]
    payload = bytes(range(256)) * 1024  # 256 KiB
    with connect(echo_link) as sock:
        sock.sendall(payload[: len(payload) // 2])
        name = echo_link.add_toxic(kind, "downstream", **first)
        echo_link.update_toxic(name, **second)
        sock.sendall(payload[len(payload) // 2 :])
        echo_link.remove_toxic(name)
        assert recv_exact(sock, len(payload)) == payload


@pytest.mark.parametrize("kind", KINDS)
def test_declared_with_the_proxy(kind, toxiproxy, echo) -> None:
    base = f"http://{toxiproxy.api_host}:{toxiproxy.api_port}"
    body = {
        "name": f"with-{kind}",
        "upstream": f"{echo[0]}:{echo[1]}",
        "toxics": [{"type": kind, "stream": "upstream", "attributes": BENIGN[kind][0]}],
    }
    response = requests.post(f"{base}/proxies", json=body, timeout=5)
    try:
        assert response.status_code == 201, response.text
        (toxic,) = response.json()["toxics"]
        assert toxic["name"] == f"{kind}_upstream"
        assert toxic["type"] == kind
    finally:
        requests.delete(f"{base}/proxies/with-{kind}", timeout=5)
