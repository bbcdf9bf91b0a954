"""PostgreSQL: ask the server, from a separate monitor connection, as its isolation tester does.

A worker's backends are found by the ``application_name`` every harness child's
sessions carry (``harness:<worker>:<pid>``), plus any a worker reported with
``harness.crash.child.report_backend_pid``: the code under test needs nothing
but its crash points. The monitor connection survives the database being
dropped and cloned again under it (``pg_database_factory``): it reconnects.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from harness.crash import landing
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

    def _connection(self) -> Any:
        import psycopg

        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(
                self.dsn, autocommit=True, application_name="harness-blocking"
            )
        return self._conn

    def is_blocked(self, worker: WorkerView, workers: Sequence[WorkerView]) -> bool:
        import psycopg

        try:
            return self._is_blocked(worker, workers)
        except psycopg.OperationalError:
            # The database was dropped and cloned again since the last question (a reset
            # between cases ends every session on it): ask again on a new connection.
            self.close()
            return self._is_blocked(worker, workers)

    def _backends(self, cur: Any, workers: Sequence[WorkerView]) -> dict[str, list[int]]:
        names = {landing.app_name(w.name, w.pid): w.name for w in workers}
        found: dict[str, list[int]] = {w.name: list(w.backend_pids) for w in workers}
        cur.execute(
            "SELECT application_name, pid FROM pg_stat_activity WHERE application_name = ANY(%s)",
            (list(names),),
        )
        for app, pid in cur.fetchall():
            if pid not in found[names[app]]:
                found[names[app]].append(pid)
        return found

    def _is_blocked(self, worker: WorkerView, workers: Sequence[WorkerView]) -> bool:
        with self._connection().cursor() as cur:
            backends = self._backends(cur, workers)
            others = [p for name, pids in backends.items() if name != worker.name for p in pids]
            for pid in backends[worker.name]:
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
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
