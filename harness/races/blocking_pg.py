"""PostgreSQL: ask the server, from a separate monitor connection, as its isolation tester does.

Workers report their backend with ``harness.crash.child.report_backend_pid``;
a worker that reported none cannot be seen blocked (its steps then wait until
they finish or time out).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.errors import ConfigError
from harness.races.blocking import WorkerView, register_detector

_QUERY = "SELECT pg_catalog.pg_isolation_test_session_is_blocked(%s, %s::int[])"
_ANY_QUERY = "SELECT cardinality(pg_catalog.pg_blocking_pids(%s)) > 0"


@register_detector("postgres")
class PgBlocking:
    """Blocked = one of the worker's backends waits on a lock another worker holds
    (``pg_isolation_test_session_is_blocked``); with ``any_blocker`` a lock held by
    anyone counts (``pg_blocking_pids``)."""

    def __init__(self, dsn: str, *, any_blocker: bool = False) -> None:
        if not isinstance(dsn, str) or not dsn:
            raise ConfigError(f"PgBlocking needs the DSN of the workers' database, got {dsn!r}")
        self.dsn = dsn
        self.any_blocker = any_blocker
        self._conn: Any = None

    def _cursor(self) -> Any:
        if self._conn is None:
            import psycopg

            self._conn = psycopg.connect(self.dsn, autocommit=True)
        return self._conn.cursor()

    def is_blocked(self, worker: WorkerView, workers: Sequence[WorkerView]) -> bool:
        if not worker.backend_pids:
            return False
        others = [p for w in workers if w.name != worker.name for p in w.backend_pids]
        with self._cursor() as cur:
            for pid in worker.backend_pids:
                if self.any_blocker:
                    cur.execute(_ANY_QUERY, (pid,))
                else:
                    cur.execute(_QUERY, (pid, others))
                row = cur.fetchone()
                if row is not None and row[0]:
                    return True
        return False

    def confirm_blocked(self, worker: WorkerView, workers: Sequence[WorkerView]) -> bool:
        # PostgreSQL grants a released lock to its waiter at once: the answer is current.
        return self.is_blocked(worker, workers)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
