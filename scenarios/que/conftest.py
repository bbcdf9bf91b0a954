"""TEMPORARY: local stand-ins for helper A's ``redis_server``/``redis_db`` fixtures.

Same surface (``.host``, ``.port``, ``.url()``, ``.kill()``, ``.restart()``,
``.client()``); delete this file once ``harness.fixtures.servers`` provides them.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import port_for
import pytest
import redis

from scenarios.que.env import QueEnv


class LocalRedis:
    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server not on PATH")
        self.binary = binary
        self.host = "127.0.0.1"
        self.port = port_for.select_random()
        self.dir = tempfile.mkdtemp(prefix="que-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://{self.host}:{self.port}/{db}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                self.host,
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        probe = redis.Redis(host=self.host, port=self.port, socket_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                probe.ping()
                break
            except (redis.ConnectionError, redis.BusyLoadingError):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise
                time.sleep(0.01)
        probe.close()

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[LocalRedis]:
    server = LocalRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class LocalDb:
    host: str
    port: int
    db: int

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/{self.db}"

    def client(self) -> redis.Redis:
        return redis.Redis(host=self.host, port=self.port, db=self.db, decode_responses=True)


@pytest.fixture
def redis_db(redis_server: LocalRedis) -> Iterator[LocalDb]:
    db = LocalDb(redis_server.host, redis_server.port, 0)
    c = db.client()
    c.flushdb()
    c.close()
    yield db


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
            redis_server.restart()
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
