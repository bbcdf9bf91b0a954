"""QUE unit tests run against the harness's real Redis (``redis_db``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from reference_impl.que import DualWriteMetrics, QueueConfig, make_queue


@pytest.fixture
def client(redis_db) -> Iterator[redis.Redis]:
    # No transparent retries: every fault must reach the queue code under test.
    c = redis.Redis(
        host=redis_db.host,
        port=redis_db.port,
        db=redis_db.db,
        socket_timeout=2,
        retry=Retry(NoBackoff(), 0),
        decode_responses=True,
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
