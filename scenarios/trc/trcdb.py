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


COLUMNS = {
    "traces": ("tenant_id", "trace_id", "name"),
    "spans": ("tenant_id", "trace_id", "span_id", "parent_span_id", "name"),
    "logs": ("tenant_id", "trace_id", "span_id", "seq", "body"),
}


def tables(conn: psycopg.Connection) -> dict[str, list[dict[str, Any]]]:
    """Every row of traces, spans and logs (without the serial ids), in insertion order."""
    out = {}
    for table, cols in COLUMNS.items():
        rows = conn.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY id")
        out[table] = [dict(zip(cols, row, strict=True)) for row in rows]
    return out


def snapshot(conn: psycopg.Connection) -> dict[str, Any]:
    """The rows, the applied migrations, the unique keys and the index names."""
    return {
        **tables(conn),
        "migrations": applied(conn),
        "unique_keys": unique_keys(conn),
        "indexes": sorted(
            r[0]
            for r in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
                " AND tablename IN ('traces', 'spans', 'logs')"
            )
        ),
    }


def applied(conn: psycopg.Connection) -> list[int]:
    """The versions the runner recorded, read here (not through the runner under test)."""
    if conn.execute("SELECT to_regclass('schema_migrations')").fetchone() == (None,):
        return []
    return [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]


def unique_keys(conn: psycopg.Connection) -> dict[str, list[list[str]]]:
    """The unique keys of each table as column lists, read from the catalog (not by name)."""
    rows = conn.execute(
        "SELECT c.relname, array_agg(a.attname ORDER BY k.ord)"
        " FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'"
        " CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)"
        " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum"
        " WHERE i.indisunique AND NOT i.indisprimary AND c.relname IN ('traces', 'spans', 'logs')"
        " GROUP BY c.relname, i.indexrelid"
    ).fetchall()
    out: dict[str, list[list[str]]] = {"traces": [], "spans": [], "logs": []}
    for table, cols in rows:
        out[table].append(list(cols))
    return {t: sorted(v) for t, v in out.items()}


def with_duplicates(batches: Any) -> Any:
    """A ``setup(dsn)`` for the factory: schema 1 (before TRC-3) holding ``batches`` written
    three times each, as replays before the unique keys left them."""
    from reference_impl.trc import SEED, write_batch

    def setup(dsn: str) -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            migrate.upgrade(conn, target=1)
            for batch in batches:
                for _ in range(3):
                    write_batch(conn, batch, SEED)

    return setup
