"""The HTTP API: Toxiproxy 2.12's paths, JSON shapes and status codes; bad input is a 400."""

from __future__ import annotations

import json
import socket

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.proxy.conftest import connect, round_trip


@pytest.fixture
def api(toxiproxy):
    base = f"http://{toxiproxy.api_host}:{toxiproxy.api_port}"
    session = requests.Session()

    def call(method: str, path: str, body=None, raw: bytes | None = None):
        kwargs = {"data": raw} if raw is not None else {"json": body}
        return session.request(method, base + path, timeout=5, **kwargs)

    yield call
    for name in list(call("GET", "/proxies").json()):
        if name.startswith("api-"):
            call("DELETE", f"/proxies/{name}")
    session.close()


@pytest.fixture
def upstream(echo) -> str:
    return f"{echo[0]}:{echo[1]}"


def test_version(api) -> None:
    response = api("GET", "/version")
    assert response.status_code == 200
    assert response.json() == {"version": "2.12.0"}


def test_proxy_lifecycle_shapes_and_codes(api, upstream) -> None:
    created = api("POST", "/proxies", {"name": "api-a", "upstream": upstream})
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"name", "listen", "upstream", "enabled", "toxics"}
    assert body["listen"].startswith("127.0.0.1:") and not body["listen"].endswith(":0")
    assert body["enabled"] is True and body["toxics"] == []
    assert api("POST", "/proxies", {"name": "api-a", "upstream": upstream}).status_code == 409
    assert api("GET", "/proxies/api-a").json() == body
    assert api("GET", "/proxies").json()["api-a"] == body
    assert api("GET", "/proxies/api-nope").status_code == 404
    assert api("GET", "/proxies/api-nope").json() == {"error": "proxy not found", "status": 404}

    toxic = api("POST", "/proxies/api-a/toxics", {"type": "latency", "attributes": {"latency": 5}})
    assert toxic.status_code == 200
    assert toxic.json() == {
        "attributes": {"latency": 5, "jitter": 0},
        "name": "latency_downstream",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 1.0,
    }
    again = api("POST", "/proxies/api-a/toxics", {"type": "latency"})
    assert again.status_code == 409
    assert api("GET", "/proxies/api-a/toxics").json() == [toxic.json()]
    assert api("GET", "/proxies/api-a/toxics/latency_downstream").json() == toxic.json()
    assert api("GET", "/proxies/api-a/toxics/nope").status_code == 404
    patched = api(
        "PATCH", "/proxies/api-a/toxics/latency_downstream", {"attributes": {"jitter": 2}}
    )
    assert patched.json()["attributes"] == {"latency": 5, "jitter": 2}
    posted = api("POST", "/proxies/api-a/toxics/latency_downstream", {"toxicity": 0.5})
    assert posted.json()["toxicity"] == 0.5 and posted.json()["attributes"]["jitter"] == 2
    assert api("DELETE", "/proxies/api-a/toxics/latency_downstream").status_code == 204
    assert api("DELETE", "/proxies/api-a/toxics/latency_downstream").status_code == 404

    disabled = api("PATCH", "/proxies/api-a", {"enabled": False})
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    assert disabled.json()["listen"] == body["listen"]
    assert api("POST", "/proxies/api-a", {"enabled": True}).json()["enabled"] is True
    assert api("DELETE", "/proxies/api-a").status_code == 204
    assert api("DELETE", "/proxies/api-a").status_code == 404


def test_upstream_change_restarts(api, upstream, echo) -> None:
    api("POST", "/proxies", {"name": "api-u", "upstream": upstream})
    moved = api("PATCH", "/proxies/api-u", {"upstream": "127.0.0.1:9"})
    assert moved.json()["upstream"] == "127.0.0.1:9" and moved.json()["enabled"] is True


def test_reset_enables_all_and_removes_toxics(api, upstream) -> None:
    api("POST", "/proxies", {"name": "api-r", "upstream": upstream, "enabled": False})
    api("POST", "/proxies/api-r/toxics", {"type": "timeout"})
    assert api("POST", "/reset").status_code == 204
    shown = api("GET", "/proxies/api-r").json()
    assert shown["enabled"] is True and shown["toxics"] == []


def test_populate_creates_keeps_and_replaces(api, upstream) -> None:
    proxies = [{"name": "api-p1", "upstream": upstream}, {"name": "api-p2", "upstream": upstream}]
    first = api("POST", "/populate", proxies)
    assert first.status_code == 201
    listed = first.json()["proxies"]
    assert [p["name"] for p in listed] == ["api-p1", "api-p2"]
    api("POST", "/proxies/api-p1/toxics", {"type": "latency"})
    same = api("POST", "/populate", [{**proxies[0], "listen": listed[0]["listen"]}]).json()
    assert same["proxies"][0]["toxics"]  # unchanged proxy kept, toxics and all
    bad = api("POST", "/populate", [{"name": "api-p3"}])
    assert bad.status_code == 400
    assert "upstream" in bad.json()["error"]


def test_toxics_declared_with_the_proxy(api, upstream, toxiproxy) -> None:
    toxics = [
        {"type": "latency", "attributes": {"latency": 150}},
        {
            "type": "slicer",
            "name": "cut-up",
            "stream": "upstream",
            "attributes": {"average_size": 2},
        },
    ]
    created = api("POST", "/proxies", {"name": "api-t", "upstream": upstream, "toxics": toxics})
    assert created.status_code == 201
    assert [t["name"] for t in created.json()["toxics"]] == ["cut-up", "latency_downstream"]
    link = toxiproxy.link("127.0.0.1", 9, name="api-unused")  # a Link of another proxy
    link.destroy()
    host, port = created.json()["listen"].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"hello")
        assert sock.recv(5)  # arrives, after the latency


@pytest.mark.parametrize(
    ("path", "body", "fragment"),
    [
        ("/proxies", {"upstream": "127.0.0.1:1"}, "name"),
        ("/proxies", {"name": "api-x"}, "upstream"),
        ("/proxies", {"name": "api-x", "upstream": "nohostport"}, "upstream"),
        ("/proxies", {"name": "api-x", "upstream": "127.0.0.1:70000"}, "port"),
        ("/proxies", {"name": "api-x", "upstream": "127.0.0.1:1", "enabled": "yes"}, "enabled"),
        ("/proxies", {"name": "api-x", "upstream": "127.0.0.1:1", "listen": "x"}, "listen"),
        ("/proxies", {"name": "a/b", "upstream": "127.0.0.1:1"}, "name"),
        ("/proxies", {"name": "api-x", "upstream": "127.0.0.1:1", "colour": 1}, "colour"),
        ("/proxies", {"name": "api-x", "upstream": "127.0.0.1:1", "toxics": {}}, "toxics"),
        ("/proxies", {"name": "api-x", "upstream": "1:1", "toxics": [{"type": "x"}]}, "type"),
        ("/proxies", [], "object"),
        ("/populate", {}, "array"),
    ],
)
def test_bad_bodies_are_400(api, path, body, fragment) -> None:
    response = api("POST", path, body)
    assert response.status_code == 400, response.text
    assert fragment in response.json()["error"]
    assert "api-x" not in api("GET", "/proxies").json()


@pytest.mark.parametrize(
    "raw", [b"", b"{", b"[1,", b"\xff\xfe", b"NaN", b'{"a": Infinity}', b"[" * 100_000]
)
def test_malformed_json_is_400(api, raw) -> None:
    response = api("POST", "/proxies", raw=raw)
    assert response.status_code == 400
    assert response.json()["status"] == 400


def test_toxic_update_rules(api, upstream) -> None:
    api("POST", "/proxies", {"name": "api-v", "upstream": upstream})
    api("POST", "/proxies/api-v/toxics", {"type": "latency", "name": "l"})
    for body in [
        {"type": "timeout"},
        {"stream": "upstream"},
        {"attributes": {"latency": -5}},
        {"toxicity": 2},
        {"whatever": 1},
    ]:
        assert api("PATCH", "/proxies/api-v/toxics/l", body).status_code == 400, body
    assert api("PATCH", "/proxies/api-nope/toxics/l", {}).status_code == 404
    assert api("PATCH", "/proxies/api-v", {"name": "other"}).status_code == 400


def test_unknown_route_and_method(api) -> None:
    assert api("GET", "/nothing").status_code == 404
    assert api("PUT", "/proxies").status_code == 405
    assert api("DELETE", "/version").status_code == 405


def test_browsers_are_refused(toxiproxy) -> None:
    url = f"http://{toxiproxy.api_host}:{toxiproxy.api_port}/proxies"
    response = requests.get(url, headers={"User-Agent": "Mozilla/5.0"}, timeout=5)
    assert response.status_code == 403


def _raw_http(toxiproxy, data: bytes) -> bytes:
    with socket.create_connection((toxiproxy.api_host, toxiproxy.api_port), timeout=5) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
        return out


@pytest.mark.parametrize(
    "data",
    [
        b"garbage\r\n\r\n",
        b"GET /version\r\n\r\n",
        b"GET /version HTTP/1.1\r\nno-colon-here\r\n\r\n",
        b"POST /proxies HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        b"POST /proxies HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /proxies HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
        b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n",
        b"\x00\xff\x10\r\n\r\n",
    ],
)
def test_malformed_http_gets_an_error_and_the_server_lives(toxiproxy, api, data) -> None:
    reply = _raw_http(toxiproxy, data)
    assert reply.split(b" ")[1] in (b"400", b"413", b"431")
    assert api("GET", "/version").status_code == 200


def test_truncated_request_does_not_hang_others(toxiproxy, api) -> None:
    with socket.create_connection((toxiproxy.api_host, toxiproxy.api_port), timeout=5) as stuck:
        stuck.sendall(b"POST /proxies HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
        assert api("GET", "/version").status_code == 200


def test_keep_alive_serves_several_requests(toxiproxy) -> None:
    request = b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n"
    reply = _raw_http(toxiproxy, request * 3)
    assert reply.count(b"HTTP/1.1 200") == 3


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
toxic_bodies = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["latency", "bandwidth", "slicer", "timeout", "limit_data", "x"])
        | json_values,
        "stream": st.sampled_from(["upstream", "downstream", "x"]) | json_values,
        "toxicity": st.floats(-1, 2) | json_values,
        "name": st.text(max_size=10) | json_values,
        "attributes": st.dictionaries(
            st.sampled_from(
                [
                    "latency",
                    "jitter",
                    "rate",
                    "delay",
                    "timeout",
                    "bytes",
                    "average_size",
                    "size_variation",
                ]
            ),
            st.integers(-(2**65), 2**65) | json_values,
            max_size=3,
        )
        | json_values,
    },
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=toxic_bodies)
def test_fuzz_toxic_create_never_crashes(api, upstream, body) -> None:
    if api("GET", "/proxies/api-fuzz").status_code == 404:
        api("POST", "/proxies", {"name": "api-fuzz", "upstream": upstream})
    response = api("POST", "/proxies/api-fuzz/toxics", raw=json.dumps(body).encode())
    assert response.status_code in (200, 400, 409), response.text
    if response.status_code == 200:
        api("DELETE", f"/proxies/api-fuzz/toxics/{response.json()['name']}")
    else:
        assert response.json()["status"] == response.status_code


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=json_values, method=st.sampled_from(["POST", "PATCH"]))
def test_fuzz_proxy_bodies_never_crash(api, body, method) -> None:
    path = "/proxies" if method == "POST" else "/proxies/api-fuzz2"
    if method == "PATCH" and api("GET", path).status_code == 404:
        api("POST", "/proxies", {"name": "api-fuzz2", "upstream": "127.0.0.1:9"})
    response = api(method, path, body)
    assert response.status_code in (200, 201, 400, 409), response.text


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=200))
def test_fuzz_raw_bytes_never_crash(toxiproxy, api, data) -> None:
    _raw_http(toxiproxy, data + b"\r\n\r\n")
    assert api("GET", "/version").status_code == 200


def test_api_answers_while_traffic_flows(api, echo_link) -> None:
    import threading
    import time

    stop = threading.Event()
    payload = bytes(1 << 16)

    def pump() -> None:
        with connect(echo_link) as sock:
            while not stop.is_set():
                round_trip(sock, payload)

    thread = threading.Thread(target=pump)
    thread.start()
    try:
        time.sleep(0.2)
        worst = 0.0
        for _ in range(20):
            start = time.perf_counter()
            assert api("GET", "/version").status_code == 200
            worst = max(worst, time.perf_counter() - start)
        assert worst < 1.0  # blocked by traffic, it would wait for the whole stream
    finally:
        stop.set()
        thread.join(10)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=toxic_bodies, kind=st.sampled_from(["latency", "slicer", "limit_data"]))
def test_fuzz_toxic_update_never_crashes_and_keeps_valid_state(api, upstream, kind, body) -> None:
    if api("GET", "/proxies/api-fuzz3").status_code == 404:
        api("POST", "/proxies", {"name": "api-fuzz3", "upstream": upstream})
    start = {"latency": {"latency": 1}, "slicer": {"average_size": 5}, "limit_data": {"bytes": 9}}
    api("DELETE", "/proxies/api-fuzz3/toxics/f")
    created = api(
        "POST", "/proxies/api-fuzz3/toxics", {"name": "f", "type": kind, "attributes": start[kind]}
    )
    assert created.status_code == 200
    response = api("PATCH", "/proxies/api-fuzz3/toxics/f", raw=json.dumps(body).encode())
    assert response.status_code in (200, 400), response.text
    shown = api("GET", "/proxies/api-fuzz3/toxics/f").json()
    if response.status_code == 400:
        assert shown == created.json()  # a refused update changes nothing
    else:
        assert shown == response.json()
        assert 0 <= shown["toxicity"] <= 1
