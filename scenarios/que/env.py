"""One scenario's view of Redis: an admin connection, queues built per variant, snapshots."""

from __future__ import annotations

from typing import Any

import redis

from reference_impl.que import DualWriteMetrics, JobQueue, KeyScheme
from scenarios.que.clients import build_queue, connect
from scenarios.que.store import snapshot


class QueEnv:
    def __init__(self, host: str, port: int, db: int) -> None:
        self.host, self.port, self.db = host, port, db
        # Direct to Redis, never through a proxy: it must see the truth after a fault.
        self.admin = connect(host, port, db, timeout_s=5.0)
        self._clients: list[redis.Redis] = []

    def queue(
        self,
        variant: str,
        *,
        new_schema: bool = True,
        via: tuple[str, int] | None = None,
        metrics: DualWriteMetrics | None = None,
        retries: int = 0,
    ) -> JobQueue:
        """A queue of ``variant``; ``via`` is a proxy's (host, port) to reach Redis through;
        ``retries``: redis-py's transparent re-sends (off unless a scenario tests them)."""
        host, port = via or (self.host, self.port)
        client = connect(host, port, self.db, retries=retries)
        self._clients.append(client)
        # A warm pooled connection, as a running service has: a fault at a crash point
        # then hits the command itself, not redis-py's connection handshake.
        client.ping()
        return build_queue(variant, client, new_schema=new_schema, metrics=metrics)

    def via(self, link: Any) -> tuple[str, int, int]:
        """(host, port, db) to reach Redis through ``link`` (None: directly)."""
        if link is None:
            return self.host, self.port, self.db
        return link.host, link.port, self.db

    @property
    def per_case(self) -> dict[str, Any]:
        """An explorer's ``reset`` (a fresh database per case) and ``snapshot`` (both stores)."""
        return {"reset": self.reset, "snapshot": self.snapshot}

    def snapshot(self, keys: KeyScheme | None = None) -> dict[str, Any]:
        return snapshot(self.admin, keys)

    def reset_clients(self) -> None:
        """Drop every connection (after a server restart the old sockets are dead)."""
        for client in self._clients:
            client.close()
        self._clients.clear()
        self.admin.close()
        self.admin = connect(self.host, self.port, self.db, timeout_s=5.0)

    def reset(self) -> dict[str, Any]:
        """Empty the database between two cases of one scenario; the facts: the state the
        case starts from (``before``)."""
        for client in self._clients:
            client.close()
        self._clients.clear()
        self.admin.flushdb()
        return {"before": self.snapshot()}

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self.admin.close()
