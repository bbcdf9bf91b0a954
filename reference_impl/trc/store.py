"""Write one batch's traces, spans and logs to PostgreSQL (TRC-1, TRC-3, TRC-4).

``prefix``: three autocommit statements; a trace insert error is logged and
tolerated, a span error skips the logs. A crash, a cut link or an exception
between two statements leaves what was written (a trace with no spans, spans
whose trace was refused).
``seed``: the pull request's ``BatchCreateAll``: the three statements in one
transaction; any error rolls the whole batch back. Traces keep
``ON CONFLICT (trace_id) DO NOTHING``; spans and logs have no key, so a second
write of the same batch stores them twice.
``fixed``: the transaction, and every insert ``ON CONFLICT DO NOTHING`` on a key
that includes the tenant (migrations 002 and 003), rows sorted by key so that
concurrent batches take their index locks in one order (no deadlock cycle).

The connection must be in autocommit mode: this module owns its transactions.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import psycopg

from harness.crashpoints import crashpoint
from reference_impl.trc.batch import Batch, Log, Span, Trace
from reference_impl.trc.errors import TrcError
from reference_impl.trc.variants import Variant

LOG = logging.getLogger("reference_impl.trc")


def write_batch(conn: psycopg.Connection, batch: Batch, variant: Variant) -> None:
    """Store ``batch`` (already validated); raise whatever the database raised."""
    if not conn.autocommit:
        raise TrcError("open the connection with autocommit=True; the store owns its transactions")
    if variant.lacks("atomic_batch"):
        _write_prefix(conn, batch)
    else:
        _write_atomic(conn, batch, variant)


def _write_prefix(conn: psycopg.Connection, batch: Batch) -> None:
    crashpoint("trc.write.begin")
    try:
        _insert(conn, "traces", batch.traces, "(trace_id)")
    except psycopg.Error as exc:
        # The behaviour the seed removed: "trace insert errors tolerated".
        LOG.warning("batch %s: trace insert failed, continuing: %s", batch.batch_id, exc)
    crashpoint("trc.write.after_traces")
    _insert(conn, "spans", batch.spans, None)
    crashpoint("trc.write.after_spans")
    _insert(conn, "logs", batch.logs, None)
    crashpoint("trc.write.after_logs")


def _write_atomic(conn: psycopg.Connection, batch: Batch, variant: Variant) -> None:
    traces, spans, logs = batch.traces, batch.spans, batch.logs
    if variant.ordered_writes:
        traces = tuple(sorted(traces, key=lambda t: t.key))
        spans = tuple(sorted(spans, key=lambda s: s.key))
        logs = tuple(sorted(logs, key=lambda lg: lg.key))
    seed_keys = variant.lacks("tenant_keys")
    with conn.transaction():
        crashpoint("trc.write.begin")
        _insert(conn, "traces", traces, "(trace_id)" if seed_keys else "(tenant_id, trace_id)")
        crashpoint("trc.write.after_traces")
        _insert(conn, "spans", spans, None if seed_keys else "(tenant_id, trace_id, span_id)")
        crashpoint("trc.write.after_spans")
        _insert(conn, "logs", logs, None if seed_keys else "(tenant_id, trace_id, span_id, seq)")
        crashpoint("trc.write.after_logs")
    crashpoint("trc.write.after_commit")


def _on_conflict(target: str | None) -> str:
    return f" ON CONFLICT {target} DO NOTHING" if target else ""


#: each table's columns in insert order, with the type of the array each is sent as
_COLUMNS = {
    "traces": (("tenant_id", "text"), ("trace_id", "text"), ("name", "text")),
    "spans": (
        ("tenant_id", "text"),
        ("trace_id", "text"),
        ("span_id", "text"),
        ("parent_span_id", "text"),
        ("name", "text"),
    ),
    "logs": (
        ("tenant_id", "text"),
        ("trace_id", "text"),
        ("span_id", "text"),
        ("seq", "int"),
        ("body", "text"),
    ),
}


def _insert(
    conn: psycopg.Connection, table: str, rows: Sequence[Trace | Span | Log], target: str | None
) -> None:
    """All ``rows`` of ``table`` in one statement: one array per column, unnested."""
    if rows:
        columns = _COLUMNS[table]
        names = ", ".join(c for c, _ in columns)
        arrays = ", ".join(f"%s::{kind}[]" for _, kind in columns)
        conn.execute(
            f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}){_on_conflict(target)}",
            [[getattr(r, c) for r in rows] for c, _ in columns],
        )
