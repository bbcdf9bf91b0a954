"""A private redis-server for the QUE unit tests, until the harness's ``redis_db`` lands.

Loopback, free port, no persistence, stopped at the end of the session.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator

import port_for
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from reference_impl.que import DualWriteMetrics, QueueConfig, make_queue


@pytest.fixture(scope="session")
def que_redis_port() -> Iterator[int]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not on PATH")
    port = port_for.select_random()
    workdir = tempfile.mkdtemp(prefix="que-redis-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        probe = redis.Redis(port=port, socket_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                probe.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.02)
        probe.close()
        yield port
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def client(que_redis_port: int) -> Iterator[redis.Redis]:
    # No transparent retries: every fault must reach the queue code under test.
    c = redis.Redis(
        port=que_redis_port, socket_timeout=2, retry=Retry(NoBackoff(), 0), decode_responses=True
    )
    c.flushdb()
    yield c
    c.flushdb()
    c.close()


@pytest.fixture(params=["prefix", "seed", "fixed"])
def queue_variant(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make(client: redis.Redis):
    def build(variant: str, new_schema: bool = True):
        return make_queue(variant, client, QueueConfig(new_schema=new_schema), DualWriteMetrics())

    return build
