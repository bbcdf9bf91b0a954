"""Fixtures of the QUE scenarios, on the harness's ``redis_server`` / ``redis_db`` / ``proxied``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scenarios.que import server
from scenarios.que.env import QueEnv


@pytest.fixture
def que(redis_db) -> Iterator[QueEnv]:
    """The QUE scenarios' environment on a clean database."""
    env = QueEnv(redis_db.host, redis_db.port, redis_db.db)
    env.admin.flushdb()
    try:
        yield env
    finally:
        env.close()


@pytest.fixture
def que_faults(redis_server, que):
    """(via, Faults, kinds) for the model: TEMPORARY server kills only, direct link,
    until the proxy fixture lands."""
    from scenarios.que.model import Faults

    state = {"down": False}

    def kill() -> None:
        state["down"] = True
        redis_server.kill()

    def heal() -> None:
        if state["down"]:
            server.restart(redis_server)
            state["down"] = False

    faults = Faults({"restart": kill}, heal)
    yield (que.host, que.port), faults, ("none", "none", "restart")
    heal()


@pytest.fixture
def que_link(proxied, redis_db):
    """A proxied link to the scenario's Redis: connect queues ``via=(link.host, link.port)``."""
    link = proxied(redis_db.host, redis_db.port)
    yield link
    link.clear()
    link.restore()
