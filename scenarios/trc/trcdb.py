"""Databases for TRC tests and scenarios: a template per schema head, snapshots as data.

A snapshot is the evidence a verdict carries: every row of the three tables
and the applied migrations, as plain lists, judged without the live database.
"""

from __future__ import annotations

from typing import Any

import psycopg

from reference_impl.trc import Variant, migrate


def _setup(head: int) -> Any:
    def setup(dsn: str) -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            migrate.upgrade(conn, target=head)

    return setup


def fresh(factory: Any, variant: Variant) -> Any:
    """A clean database at ``variant``'s schema head (cloned from a template, fast)."""
    head = variant.schema_head
    return factory(f"trc-v{head}", _setup(head))


def connect(dsn: str) -> psycopg.Connection:
    # prepare_threshold=None: a migration between two statements must not meet a stale plan.
    return psycopg.connect(str(dsn), autocommit=True, connect_timeout=3, prepare_threshold=None)


def snapshot(conn: psycopg.Connection) -> dict[str, Any]:
    """Every row of traces, spans and logs (without the serial ids), and the schema state."""
    return {
        "traces": [
            list(r)
            for r in conn.execute("SELECT tenant_id, trace_id, name FROM traces ORDER BY id")
        ],
        "spans": [
            list(r)
            for r in conn.execute(
                "SELECT tenant_id, trace_id, span_id, parent_span_id, name FROM spans ORDER BY id"
            )
        ],
        "logs": [
            list(r)
            for r in conn.execute(
                "SELECT tenant_id, trace_id, span_id, seq, body FROM logs ORDER BY id"
            )
        ],
        "migrations": migrate.applied(conn),
        "indexes": sorted(
            r[0]
            for r in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
                " AND tablename IN ('traces', 'spans', 'logs')"
            )
        ),
    }
