"""The proxy API fed raw HTTP drawn by Hypothesis: request lines, headers, lengths, bodies.

Not only valid JSON: methods, targets, header names and values, duplicated or
wrong Content-Length and bodies are drawn from grammars that mix the valid with
the malformed. For every request the API must answer with well-formed HTTP (a
status it documents, a JSON error naming its status), never hang, and keep its
state addressable: every proxy or toxic it lists can be read and deleted by
its name in a URL (issue 14, defect 8 was a proxy that could not).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.proxy import ProxyServer

EXAMPLES = 150  # about 5 s on a loaded 2-core machine; raise it here to fuzz longer
REPLY_TIMEOUT_S = 10.0  # a hang, not a slow answer, fails the test
STATUSES = {200, 201, 204, 400, 403, 404, 405, 409, 413, 431}
BASE = "base"  # a proxy kept across examples, so toxic routes have something to act on


@pytest.fixture(scope="module")
def server() -> Iterator[ProxyServer]:
    with ProxyServer(seed=11) as srv:
        yield srv


# -- the grammar ------------------------------------------------------------
names = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [BASE, "p", "\ud800", "\udfff", "\ufffd", ".", "..", "a/b", "%41", "a b", "é", "x" * 201]
    ),
)
listens = st.sampled_from(["127.0.0.1:0", "localhost:0", "[::1]:0", "", "x", "127.0.0.1:99999"])
upstreams = st.sampled_from(["127.0.0.1:9", "127.1:9", "localhost:1", "", "x:", "[::1]:9"])
attributes = st.dictionaries(
    st.sampled_from(["latency", "jitter", "rate", "average_size", "size_variation", "bytes", "x"]),
    st.integers(-3, 2**40) | st.none() | st.text(max_size=3),
    max_size=3,
)
proxy_body = st.fixed_dictionaries(
    {"name": names, "upstream": upstreams},
    optional={"listen": listens, "enabled": st.booleans() | st.none(), "x": st.integers()},
)
toxic_body = st.fixed_dictionaries(
    {"type": st.sampled_from(["latency", "slicer", "limit_data", "bandwidth", "nope"])},
    optional={
        "name": names,
        "stream": st.sampled_from(["upstream", "downstream", "sideways"]),
        "toxicity": st.floats(-0.5, 1.5, allow_nan=False) | st.text(max_size=2),
        "attributes": attributes,
    },
)


def _encode(value: object, how: str) -> bytes:
    if how == "ascii":  # lone surrogates as \\uXXXX escapes
        return json.dumps(value).encode()
    # raw UTF-8; a lone surrogate becomes invalid UTF-8 (a 400, not a crash)
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


json_bodies = st.builds(
    _encode,
    st.one_of(proxy_body, toxic_body, st.lists(proxy_body, max_size=2), st.none()),
    st.sampled_from(["ascii", "utf8"]),
)
bodies = st.one_of(json_bodies, st.binary(max_size=64), st.just(b""), st.just(b"{" * 3000))
segments = st.one_of(
    names.map(lambda n: quote(n, safe="", errors="surrogatepass")),
    st.sampled_from(["", "%", "%zz"]),
)
targets = st.one_of(
    st.sampled_from(["/version", "/proxies", "/populate", "/reset", "/", "*", "/proxies/"]),
    segments.map(lambda s: f"/proxies/{s}"),
    segments.map(lambda s: f"/proxies/{BASE}/toxics/{s}"),
    st.just(f"/proxies/{BASE}/toxics"),
    st.text(alphabet=st.characters(codec="latin-1"), max_size=20),
)
methods = st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT", "get", "G T", "", "\x00"])
versions = st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/2", "http/1.1", ""])
header_names = st.sampled_from(
    ["Host", "Content-Type", "Connection", "User-Agent", "X-A", "Content Length", "Bad\x01", ""]
) | st.text(alphabet=st.characters(codec="latin-1"), max_size=10)
header_values = st.sampled_from(["x", "close", "keep-alive", "Mozilla/5.0", ""]) | st.text(
    alphabet=st.characters(codec="latin-1"), max_size=10
)
lengths = st.sampled_from(["right", "none", "short", "long", "twice", "junk", "huge"])


@st.composite
def requests_(draw: st.DrawFn) -> bytes:
    body = draw(bodies)
    line = f"{draw(methods)} {draw(targets)} {draw(versions)}"
    headers = [
        f"{n}: {v}" for n, v in draw(st.lists(st.tuples(header_names, header_values), max_size=4))
    ]
    how = draw(lengths)
    size = {"right": len(body), "short": max(0, len(body) - 1), "long": len(body) + 5}.get(how)
    if size is not None:
        headers.append(f"Content-Length: {size}")
    elif how == "twice":
        headers += [f"Content-Length: {len(body)}", "Content-Length: 1"]
    elif how == "junk":
        headers.append("Content-Length: 1x")
    elif how == "huge":
        headers.append("Content-Length: 99999999999")
    end = draw(st.sampled_from(["\r\n", "\n"]))
    head = end.join([line, *headers]) + end + end
    return head.encode("latin-1") + body


# -- the checks ---------------------------------------------------------------
def _exchange(srv: ProxyServer, data: bytes) -> bytes:
    with socket.create_connection((srv.api_host, srv.api_port), timeout=REPLY_TIMEOUT_S) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)  # all said: a short body is known short at once
        out = bytearray()
        while chunk := sock.recv(65536):
            out += chunk
        return bytes(out)


_STATUS_LINE = re.compile(rb"HTTP/1\.1 (\d{3}) [^\r\n]*\r\n")


def _responses(reply: bytes) -> list[tuple[int, bytes]]:
    """Every response in ``reply``, each checked for framing; nothing may be left over."""
    out = []
    while reply:
        match = _STATUS_LINE.match(reply)
        assert match, reply[:200]
        head, sep, rest = reply.partition(b"\r\n\r\n")
        assert sep, reply[:200]
        fields = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:] if line)
        length = int(fields.get(b"Content-Length", b"0"))
        body, reply = rest[:length], rest[length:]
        assert len(body) == length
        out.append((int(match.group(1)), body))
    return out


class Api:
    """A keep-alive client of the API (http.client: a fraction of requests' overhead)."""

    def __init__(self, srv: ProxyServer) -> None:
        self.conn = http.client.HTTPConnection(srv.api_host, srv.api_port, timeout=REPLY_TIMEOUT_S)

    def __call__(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        self.conn.request(method, path, body=data)
        response = self.conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None


def _check_state(api: Api) -> None:
    """Everything listed can be read and deleted by name; then only the base proxy is left."""
    _, proxies = api("GET", "/proxies")
    for name, proxy in proxies.items():
        path = f"/proxies/{quote(name, safe='')}"
        assert api("GET", path) == (200, proxy), name
        for toxic in proxy["toxics"]:
            toxic_path = f"{path}/toxics/{quote(toxic['name'], safe='')}"
            assert api("GET", toxic_path)[0] == 200, toxic
            assert api("DELETE", toxic_path)[0] == 204, toxic
        if name != BASE:
            assert api("DELETE", path)[0] == 204, name
    if BASE not in proxies:
        assert api("POST", "/proxies", {"name": BASE, "upstream": "127.0.0.1:9"})[0] == 201
    assert set(api("GET", "/proxies")[1]) == {BASE}


@pytest.fixture(scope="module")
def api(server: ProxyServer) -> Iterator[Api]:
    client = Api(server)
    _check_state(client)
    yield client
    client.conn.close()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.lists(requests_(), min_size=1, max_size=2).map(b"".join))
def test_fuzz_raw_http_always_answered_and_state_addressable(server, api, data) -> None:
    reply = _exchange(server, data)
    answers = _responses(reply)
    assert answers, data[:200]  # every request gets an answer, even a bad one
    for status, body in answers:
        assert status in STATUSES, (status, body, data[:300])
        if status >= 400 and status != 403:
            assert json.loads(body)["status"] == status
    _check_state(api)  # and leaves the next example the same start


def test_fuzz_leaves_no_descriptor_behind(server, api) -> None:
    # After the fuzzing above (same module server), descriptors settle at the idle count.
    me = psutil.Process()
    _check_state(api)
    before = me.num_fds()
    for _ in range(50):
        _exchange(server, b"GET /version HTTP/1.1\r\nContent-Length: 3\r\n\r\n{")
    assert me.num_fds() <= before + 2
