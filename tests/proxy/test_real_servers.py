"""Every toxic through the proxy on real PostgreSQL and Redis traffic, driven by the
toxiproxy-python client (via ``Link``)."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

WAIT_S = 5.0


@pytest.fixture
def pg(pg_db, proxied):
    """(link, connect through the link, connect directly) for a fresh database."""
    link = proxied(pg_db.host, pg_db.port)
    conns: list[psycopg.Connection] = []

    def via_link(**kwargs) -> psycopg.Connection:
        conn = psycopg.connect(
            pg_db.dsn, host=link.host, port=link.port, connect_timeout=5, autocommit=True, **kwargs
        )
        conns.append(conn)
        return conn

    def direct() -> psycopg.Connection:
        conn = psycopg.connect(pg_db.dsn, autocommit=True, connect_timeout=5)
        conns.append(conn)
        return conn

    with direct() as setup:
        setup.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
    yield link, via_link, direct
    for conn in conns:
        conn.close()


def _elapsed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def test_pg_latency(pg) -> None:
    link, via_link, _ = pg
    conn = via_link()
    link.add_toxic("latency", stream="downstream", latency=150)
    value, elapsed = _elapsed(lambda: conn.execute("SELECT 41 + 1").fetchone())
    assert value == (42,)
    assert 0.15 <= elapsed < WAIT_S


def test_pg_bandwidth(pg) -> None:
    link, via_link, _ = pg
    conn = via_link()
    link.add_toxic("bandwidth", stream="downstream", rate=1000)  # 1 MB/s
    row, elapsed = _elapsed(lambda: conn.execute("SELECT repeat('x', 500000)").fetchone())
    assert row is not None and row[0] == "x" * 500000
    assert 0.4 <= elapsed < WAIT_S


def test_pg_slicer_both_ways(pg) -> None:
    link, via_link, _ = pg
    link.add_toxic("slicer", stream="upstream", average_size=3, size_variation=2)
    link.add_toxic("slicer", stream="downstream", average_size=5, size_variation=3)
    with via_link() as conn:  # the startup handshake is sliced too
        conn.execute("INSERT INTO t VALUES (1, %s)", ["y" * 3000])
        assert conn.execute("SELECT v FROM t WHERE id = 1").fetchone() == ("y" * 3000,)


def test_pg_slow_close_passes_traffic(pg) -> None:
    link, via_link, _ = pg
    link.add_toxic("slow_close", stream="downstream", delay=100)
    conn = via_link()
    assert conn.execute("SELECT 'slow'").fetchone() == ("slow",)
    conn.close()


def test_pg_timeout_breaks_the_connection(pg) -> None:
    link, via_link, _ = pg
    conn = via_link()
    link.add_toxic("timeout", stream="downstream", timeout=200)
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT 1")


def test_pg_blackhole_runs_the_statement_but_loses_the_reply(pg) -> None:
    # "Cut after the statement was sent, before the reply": the row exists, the client never hears.
    link, via_link, direct = pg
    conn = via_link()
    link.blackhole("downstream")
    outcome: list[BaseException | None] = []

    def insert() -> None:
        try:
            conn.execute("INSERT INTO t VALUES (7, 'sent')")
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=insert)
    worker.start()
    check = direct()
    deadline = time.monotonic() + WAIT_S
    while check.execute("SELECT count(*) FROM t WHERE id = 7").fetchone() != (1,):
        assert time.monotonic() < deadline, "the INSERT never reached the server"
        time.sleep(0.02)
    assert outcome == []  # executed and committed, but the client still waits
    link.clear()  # releases the held connection: the client sees it break
    worker.join(WAIT_S)
    assert len(outcome) == 1 and isinstance(outcome[0], psycopg.OperationalError)


def test_pg_reset_peer(pg) -> None:
    link, via_link, _ = pg
    conn = via_link()
    link.add_toxic("reset_peer", stream="upstream", timeout=0)
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT 1")


def test_pg_limit_data(pg) -> None:
    link, via_link, _ = pg
    conn = via_link()
    link.add_toxic("limit_data", stream="downstream", bytes=1000)
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT repeat('z', 5000)").fetchone()


def test_pg_cut_and_restore(pg) -> None:
    link, via_link, _ = pg
    conn = via_link()
    link.cut()
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT 1")
    with pytest.raises(psycopg.OperationalError):
        via_link()
    link.restore()
    assert via_link().execute("SELECT 2").fetchone() == (2,)


def test_pg_toxic_removed_mid_connection(pg) -> None:
    link, via_link, _ = pg
    conn = via_link()
    with link.toxic("latency", latency=200):
        _, slow = _elapsed(lambda: conn.execute("SELECT 1").fetchone())
    _, fast = _elapsed(lambda: conn.execute("SELECT 1").fetchone())
    assert slow >= 0.2 > fast


# -- Redis ----------------------------------------------------------------


@pytest.fixture
def rds(redis_db, proxied):
    link = proxied(redis_db.host, redis_db.port)
    clients: list[redis.Redis] = []

    def via_link(**kwargs) -> redis.Redis:
        kwargs.setdefault("socket_timeout", WAIT_S)
        kwargs.setdefault("retry", Retry(NoBackoff(), 0))  # a retry would hide the fault
        client = redis.Redis(host=link.host, port=link.port, db=redis_db.db, **kwargs)
        clients.append(client)
        return client

    direct = redis_db.client()
    clients.append(direct)
    yield link, via_link, direct
    for client in clients:
        client.close()


def test_redis_blackhole_after_exec(rds) -> None:
    # The MULTI/EXEC reaches Redis and runs; its reply never comes back.
    link, via_link, direct = rds
    client = via_link(socket_timeout=0.5)
    client.ping()
    link.blackhole("downstream")
    pipe = client.pipeline(transaction=True)
    pipe.incr("counter")
    pipe.rpush("jobs", "j1")
    with pytest.raises(redis.TimeoutError):
        pipe.execute()
    assert direct.get("counter") == b"1"
    assert direct.lrange("jobs", 0, -1) == [b"j1"]


def test_redis_latency_and_slicer(rds) -> None:
    link, via_link, _ = rds
    client = via_link()
    link.add_toxic("latency", latency=100)
    link.add_toxic("slicer", stream="upstream", average_size=2)
    start = time.perf_counter()
    client.set("k", "v" * 1000)
    assert client.get("k") == b"v" * 1000
    assert time.perf_counter() - start >= 0.2


def test_redis_limit_data_and_reset(rds) -> None:
    link, via_link, direct = rds
    direct.set("big", "b" * 10000)
    client = via_link()
    client.ping()
    link.add_toxic("limit_data", bytes=100)
    with pytest.raises(redis.ConnectionError):
        client.get("big")
    link.clear()
    link.add_toxic("reset_peer", stream="upstream")
    with pytest.raises(redis.ConnectionError):
        via_link().ping()


def test_redis_bandwidth_timeout_slow_close(rds) -> None:
    link, via_link, direct = rds
    direct.set("blob", "c" * 200_000)
    client = via_link()
    with link.toxic("bandwidth", rate=1000):
        start = time.perf_counter()
        assert len(client.get("blob")) == 200_000
        assert time.perf_counter() - start >= 0.15
    with link.toxic("slow_close", delay=50):
        assert client.ping()
    link.add_toxic("timeout", timeout=150)
    with pytest.raises((redis.ConnectionError, redis.TimeoutError)):
        client.get("blob")
