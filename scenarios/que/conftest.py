"""Fixtures of the QUE scenarios, on the harness's ``redis_server`` / ``redis_db`` / ``proxied``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scenarios.que import linkfaults
from scenarios.que.env import QueEnv
from scenarios.que.model import FAULTS, Faults


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
def que_faults(redis_server, que, que_link):
    """(via, Faults, kinds) for the stateful model: the link cut, a reply lost, the
    server SIGKILLed; healing restores the link and restarts the server."""
    state = {"down": False}

    def kill() -> None:
        state["down"] = True
        redis_server.kill()

    def lose_reply() -> None:
        linkfaults.lose_reply(que_link)

    def heal() -> None:
        que_link.clear()
        que_link.restore()
        if state["down"]:
            redis_server.restart()
            state["down"] = False

    faults = Faults({"cut": que_link.cut, "lost_reply": lose_reply, "restart": kill}, heal)
    yield (que_link.host, que_link.port), faults, FAULTS
    heal()


@pytest.fixture
def que_link(proxied, redis_db):
    """A proxied link to the scenario's Redis: connect queues ``via=(link.host, link.port)``."""
    link = proxied(redis_db.host, redis_db.port)
    yield link
    link.clear()
    link.restore()
