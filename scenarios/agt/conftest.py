"""Fixtures the AGT scenarios share."""

from __future__ import annotations

import pytest


@pytest.fixture
def pg_link():
    """The proxy link to the scenario PostgreSQL server (None until the proxy fixture lands)."""
    return None


@pytest.fixture
def redis_link(redis_db, proxied):
    """The proxy link to the scenario Redis (the rate limiter's store)."""
    return proxied(redis_db.host, redis_db.port)
