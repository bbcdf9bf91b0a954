"""Redis servers: what every backend's Redis offers."""

from __future__ import annotations

import shlex
from abc import abstractmethod
from typing import Any, ClassVar

import redis as redis_client

from harness.backends.base import Server


class RedisServer(Server):
    kind: ClassVar[str] = "redis"

    @abstractmethod
    def url(self, db: int = 0) -> str:
        """A ``redis://`` URL for database index ``db``."""

    def client(self, db: int = 0, **kwargs: Any) -> redis_client.Redis:
        kwargs.setdefault("socket_timeout", 10)
        return redis_client.Redis.from_url(self.url(db), **kwargs)

    def connect_command(self, db: int = 0) -> str:
        """A shell command that opens ``redis-cli`` on database ``db`` (for a user inspecting it)."""
        argv = ["redis-cli", "-h", self.host, "-p", str(self.port)]
        return shlex.join(argv + (["-n", str(db)] if db else []))

    def answers(self, timeout_s: float = 2.0) -> bool:
        try:
            with self.client(socket_connect_timeout=timeout_s) as client:
                return bool(client.ping())
        except redis_client.RedisError:
            return False

    def query_version(self, timeout_s: float = 10.0) -> str:
        with self.client(socket_connect_timeout=timeout_s) as client:
            return str(client.info("server").get("redis_version", ""))
