"""The ``testcontainers`` backend: the same servers in containers on a Docker engine.

Needs the optional extra (``pip install 'fault-harness[containers]'``) and an
engine that answers. Each container's port is published on a host port that
is free here (with a remote ``DOCKER_HOST`` it is only checked locally), so ``restart`` after ``kill`` comes back on the same port; data
lives in the container and survives a kill, as on a real host. testcontainers'
own reaper (Ryuk) removes containers of a killed run.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.backends.base import Server
from harness.backends.ports import LOOPBACK, free_port
from harness.backends.postgres import PostgresServer, conninfo
from harness.backends.redis import RedisServer
from harness.backends.registry import Backend, register
from harness.backends.settings import Settings
from harness.errors import BackendUnavailable, ServerError

PING_TIMEOUT_S = 0.5
PG_IMAGE = os.environ.get("HARNESS_PG_IMAGE", "postgres:16-alpine")
REDIS_IMAGE = os.environ.get("HARNESS_REDIS_IMAGE", "redis:7-alpine")


def engine_problem() -> str | None:
    """Why no Docker engine answers (None: one does). Bounded by a short timeout."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    parts = urlsplit(host)
    try:
        if parts.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(PING_TIMEOUT_S)
            sock.connect(parts.path)
        elif parts.scheme in ("tcp", "http"):
            sock = socket.create_connection(
                (parts.hostname or LOOPBACK, parts.port or 2375), PING_TIMEOUT_S
            )
        else:
            return f"DOCKER_HOST={host} is not a unix:// or tcp:// address"
        with sock:
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            reply = sock.recv(256)
    except OSError as exc:
        return f"no Docker engine answers at {host} ({exc.strerror or exc})"
    if b" 200 " not in reply.split(b"\r\n", 1)[0]:
        return f"the Docker engine at {host} did not answer its ping"
    return None


class _Container(Server):
    """Start/kill/restart on a container bound to a fixed host port."""

    owned = True
    internal_port: int

    def _setup(self, container: Any) -> None:
        self.host = LOOPBACK
        self.port = free_port()
        self._container = container.with_bind_ports(self.internal_port, self.port)
        self._started = False
        self.generation = 0

    def start(self) -> None:
        if not self._started:
            self._container.start()
            self._started = True
            self.generation += 1
            # Not always loopback: DOCKER_HOST may name another machine.
            self.host = self._container.get_container_host_ip()
            self.version = self.query_version()

    def is_running(self) -> bool:
        return self.answers()

    def _docker(self) -> Any:
        return self._container.get_wrapped_container()

    def kill(self) -> None:
        self._docker().kill()

    def stop(self) -> None:
        self._docker().stop(timeout=10)

    def restart(self) -> None:
        self._docker().start()
        deadline = time.monotonic() + 60
        while not self.is_running():
            if time.monotonic() > deadline:
                raise ServerError(f"{self.internal_port} container did not come back within 60 s")
            time.sleep(0.05)
        self.generation += 1

    def close(self) -> None:
        if self._started:
            self._container.stop()
            self._started = False


class ContainerPostgres(PostgresServer, _Container):
    internal_port = 5432

    def __init__(self) -> None:
        try:  # testcontainers >= 4.15 moved the modules
            from testcontainers.community.postgres import PostgresContainer
        except ImportError:
            from testcontainers.postgres import PostgresContainer

        self._setup(
            PostgresContainer(PG_IMAGE, username="postgres", password="postgres", dbname="postgres")
        )
        self.version = PG_IMAGE.split(":")[-1]

    def dsn(self, dbname: str = "postgres") -> str:
        return conninfo(self.host, self.port, self.user, dbname, password="postgres")


class ContainerRedis(RedisServer, _Container):
    internal_port = 6379

    def __init__(self) -> None:
        try:
            from testcontainers.community.redis import RedisContainer
        except ImportError:
            from testcontainers.redis import RedisContainer

        self._setup(RedisContainer(REDIS_IMAGE))
        self.version = REDIS_IMAGE.split(":")[-1]

    def url(self, db: int = 0) -> str:
        return f"redis://{self.host}:{self.port}/{db}"


class ContainersBackend(Backend):
    name = "testcontainers"
    summary = "PostgreSQL and Redis in containers on a Docker engine (extra: containers)"

    def problem(self, settings: Settings) -> str | None:
        try:
            import testcontainers  # noqa: F401
        except ImportError:
            return "testcontainers is not installed: pip install 'fault-harness[containers]'"
        return engine_problem()

    def describe(self, settings: Settings) -> list[str]:
        return [f"postgres image {PG_IMAGE}, redis image {REDIS_IMAGE}"]

    def postgres(self, settings: Settings, workdir: Path | None = None) -> ContainerPostgres:
        self._require(settings)
        return ContainerPostgres()

    def redis(self, settings: Settings, workdir: Path | None = None) -> ContainerRedis:
        self._require(settings)
        return ContainerRedis()

    def _require(self, settings: Settings) -> None:
        problem = self.problem(settings)
        if problem is not None:
            raise BackendUnavailable(f"backend 'testcontainers' cannot serve: {problem}")


register(ContainersBackend())
