"""Fixtures the AGT scenarios share: proxy links in front of the scenario servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scenarios.agt import agtdb


@pytest.fixture
def pg_link(pg_server, proxied):
    """A proxy link to the scenario PostgreSQL server: cut it at a crash point."""
    return proxied(pg_server.host, pg_server.port)


@pytest.fixture
def redis_link(redis_db, proxied):
    """A proxy link to the scenario Redis (the rate limiter's store)."""
    return proxied(redis_db.host, redis_db.port)


@pytest.fixture(autouse=True)
def _agt_connections() -> Iterator[None]:
    """The connections ``agtdb.connect`` kept during a test are closed at its end."""
    yield
    agtdb.release()
