"""Every toxic through the proxy against a loopback echo server, byte for byte."""

from __future__ import annotations

import socket
import time

import pytest

from harness.proxy import ProxyServer
from harness.proxy.chain import ToxicChain, ToxicSpec
from harness.proxy.link_control import ToxiproxyClient
from harness.proxy.toxics import toxic_class
from tests.proxy.conftest import (
    closed_by_peer,
    connect,
    recv_all,
    recv_exact,
    round_trip,
    timed,
)

PAYLOAD = bytes(range(256)) * 64  # 16 KiB with every byte value


def test_clean_link_is_transparent(echo_link) -> None:
    with connect(echo_link) as sock:
        assert round_trip(sock, PAYLOAD) == PAYLOAD


def test_latency_delays_each_way(echo_link) -> None:
    with connect(echo_link) as sock:
        echo_link.add_toxic("latency", stream="upstream", latency=100)
        echo_link.add_toxic("latency", stream="downstream", latency=50)
        data, elapsed = timed(round_trip, sock, b"ping")
        assert data == b"ping"
        assert 0.15 <= elapsed < 2.0


def test_latency_does_not_throttle(echo_link) -> None:
    # Delay is from arrival: 20 pipelined messages take about one latency, not twenty.
    with connect(echo_link) as sock:
        echo_link.add_toxic("latency", latency=100)
        start = time.perf_counter()
        for i in range(20):
            sock.sendall(b"%04d" % i)
        assert recv_exact(sock, 80) == b"".join(b"%04d" % i for i in range(20))
        assert time.perf_counter() - start < 1.0


def test_jitter_draws_replay_with_the_seed() -> None:
    # Each toxic on each connection draws from its own generator, derived from the
    # server seed and stable names: same seed, same delays; another seed, others.
    latency = toxic_class("latency").parse({"latency": 100, "jitter": 50})
    spec = ToxicSpec("l", "latency", "downstream", 1.0, latency, serial=1)

    def delays(seed: int, conn: int) -> list[float]:
        rng = ToxicChain("p", seed).rng_for(conn, "downstream", spec)
        return [latency.delay_s(rng) for _ in range(20)]

    assert delays(7, 1) == delays(7, 1)
    assert delays(7, 1) != delays(8, 1)
    assert delays(7, 1) != delays(7, 2)
    assert all(0.05 <= d < 0.15 for d in delays(7, 1))


def test_jitter_through_the_proxy_stays_in_bounds(echo_link) -> None:
    echo_link.add_toxic("latency", latency=80, jitter=40)
    with connect(echo_link) as sock:
        for _ in range(5):
            data, elapsed = timed(round_trip, sock, b"j")
            assert data == b"j" and 0.04 <= elapsed < 2.0


def test_bandwidth_limits_rate_exactly(echo_link) -> None:
    with connect(echo_link) as sock:
        echo_link.add_toxic("bandwidth", stream="downstream", rate=100)  # 100 KB/s
        payload = PAYLOAD * 3  # 48 KiB: about 0.5 s
        data, elapsed = timed(round_trip, sock, payload)
        assert data == payload
        assert 0.4 <= elapsed < 3.0


def test_slow_close_delays_the_close(echo_link) -> None:
    with connect(echo_link) as sock:
        echo_link.add_toxic("slow_close", stream="downstream", delay=300)
        assert round_trip(sock, b"bye") == b"bye"
        sock.shutdown(socket.SHUT_WR)
        start = time.perf_counter()
        assert recv_all(sock) == b""
        assert 0.25 <= time.perf_counter() - start < 3.0


def test_timeout_closes_after_its_timeout(echo_link) -> None:
    with connect(echo_link) as sock:
        echo_link.add_toxic("timeout", stream="downstream", timeout=200)
        sock.sendall(b"lost")
        start = time.perf_counter()
        assert closed_by_peer(sock)
        assert 0.15 <= time.perf_counter() - start < 3.0


def test_blackhole_swallows_replies_until_removed(echo_link) -> None:
    with connect(echo_link, timeout=0.3) as sock:
        echo_link.blackhole()
        sock.sendall(b"request")
        with pytest.raises(TimeoutError):
            sock.recv(10)  # the reply is held: nothing arrives
        sock.settimeout(5)
        echo_link.remove_toxic("blackhole_downstream")
        assert closed_by_peer(sock)  # as Toxiproxy: the held connection closes
    with connect(echo_link) as sock:  # new connections are clean
        assert round_trip(sock, b"again") == b"again"


def test_reset_peer_sends_rst(echo_link) -> None:
    with connect(echo_link) as sock:
        echo_link.add_toxic("reset_peer", stream="upstream", timeout=0)
        sock.sendall(b"boom")
        with pytest.raises(ConnectionResetError):
            sock.recv(10)
            sock.recv(10)


def test_slicer_splits_into_small_reads_byte_exact(echo_link) -> None:
    # 100 bytes at average 10, no variation: 16 pieces of 6-7 bytes, 20 ms apart.
    with connect(echo_link) as sock:
        echo_link.add_toxic("slicer", average_size=10, delay=20_000)
        start = time.perf_counter()
        sock.sendall(PAYLOAD[:100])
        reads = []
        while sum(map(len, reads)) < 100:
            data = sock.recv(65536)
            assert data
            reads.append(data)
        assert b"".join(reads) == PAYLOAD[:100]
        assert time.perf_counter() - start >= 0.25  # 15 gaps of 20 ms: it was sliced
        assert len(reads) >= 2


@pytest.mark.parametrize("limit", [0, 1, 1000, 16384])
def test_limit_data_passes_exactly_the_limit(echo_link, limit) -> None:
    with connect(echo_link) as sock:
        echo_link.add_toxic("limit_data", stream="downstream", bytes=limit)
        sock.sendall(PAYLOAD)
        try:
            got = recv_all(sock)
        except ConnectionResetError:  # pragma: no cover - depends on timing of unread data
            got = b""
        assert got == PAYLOAD[:limit]


def test_limit_data_counts_across_updates(echo_link) -> None:
    with connect(echo_link) as sock:
        echo_link.add_toxic("limit_data", name="cap", bytes=100_000)
        assert round_trip(sock, PAYLOAD[:600]) == PAYLOAD[:600]
        echo_link.update_toxic("cap", bytes=1000)  # 600 already passed
        sock.sendall(PAYLOAD[:600])
        assert recv_all(sock) == PAYLOAD[:400]


def test_toxicity_zero_and_one(echo_link) -> None:
    echo_link.add_toxic("timeout", toxicity=0.0, timeout=0)
    with connect(echo_link) as sock:
        assert round_trip(sock, b"through") == b"through"


def test_toxicity_draws_replay_with_the_seed(echo) -> None:
    # limit_data 0 closes a connection it acts on before any byte: no timing involved.
    def pattern(seed: int) -> list[bool]:
        with ProxyServer(seed=seed) as server:
            client = ToxiproxyClient(server.api_host, server.api_port, server)
            link = client.link(*echo, name="coin")
            link.add_toxic("limit_data", toxicity=0.5, bytes=0)
            hits = []
            for _ in range(16):
                with connect(link) as sock:
                    sock.sendall(b"?")
                    try:
                        hits.append(sock.recv(1) == b"")
                    except ConnectionResetError:
                        hits.append(True)
            return hits

    first = pattern(11)
    assert first == pattern(11)
    assert 0 < sum(first) < 16
    assert first != pattern(12)


def test_stream_selects_the_direction(echo_link) -> None:
    with connect(echo_link, timeout=0.3) as sock:
        echo_link.blackhole("upstream")
        sock.sendall(b"never arrives")
        with pytest.raises(TimeoutError):
            sock.recv(10)


def test_cut_closes_connections_and_refuses_new(echo_link) -> None:
    sock = connect(echo_link)
    try:
        assert round_trip(sock, b"a") == b"a"
        echo_link.cut()
        assert closed_by_peer(sock)
        with pytest.raises(ConnectionRefusedError):
            connect(echo_link).close()
        echo_link.restore()
        with connect(echo_link) as again:
            assert round_trip(again, b"b") == b"b"
    finally:
        sock.close()


def test_down_context_restores(echo_link) -> None:
    with echo_link.down(), pytest.raises(ConnectionRefusedError):
        connect(echo_link).close()
    with connect(echo_link) as sock:
        assert round_trip(sock, b"up") == b"up"


def test_clear_removes_toxics_and_enables(echo_link) -> None:
    echo_link.add_toxic("latency", latency=1000)
    echo_link.blackhole("upstream")
    echo_link.cut()
    echo_link.clear()
    assert echo_link.toxics() == {}
    with connect(echo_link) as sock:
        data, elapsed = timed(round_trip, sock, b"fast")
        assert data == b"fast" and elapsed < 0.5


def test_half_close_is_passed_on(echo_link) -> None:
    # The client shuts its sending side; the reply still comes back (socat does this too).
    with connect(echo_link) as sock:
        sock.sendall(PAYLOAD)
        sock.shutdown(socket.SHUT_WR)
        assert recv_all(sock) == PAYLOAD
