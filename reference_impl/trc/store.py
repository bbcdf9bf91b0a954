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
    if variant.atomic_batch:
        _write_atomic(conn, batch, variant)
    else:
        _write_prefix(conn, batch)


def _write_prefix(conn: psycopg.Connection, batch: Batch) -> None:
    crashpoint("trc.write.begin")
    try:
        _insert_traces(conn, batch.traces, "(trace_id)")
    except psycopg.Error as exc:
        # The behaviour the seed removed: "trace insert errors tolerated".
        LOG.warning("batch %s: trace insert failed, continuing: %s", batch.batch_id, exc)
    crashpoint("trc.write.after_traces")
    _insert_spans(conn, batch.spans, None)
    crashpoint("trc.write.after_spans")
    _insert_logs(conn, batch.logs, None)
    crashpoint("trc.write.after_logs")


def _write_atomic(conn: psycopg.Connection, batch: Batch, variant: Variant) -> None:
    traces, spans, logs = batch.traces, batch.spans, batch.logs
    if variant.ordered_writes:
        traces = tuple(sorted(traces, key=lambda t: t.key))
        spans = tuple(sorted(spans, key=lambda s: s.key))
        logs = tuple(sorted(logs, key=lambda lg: lg.key))
    tenant_keys = variant.tenant_keys
    with conn.transaction():
        crashpoint("trc.write.begin")
        _insert_traces(conn, traces, "(tenant_id, trace_id)" if tenant_keys else "(trace_id)")
        crashpoint("trc.write.after_traces")
        _insert_spans(conn, spans, "(tenant_id, trace_id, span_id)" if tenant_keys else None)
        crashpoint("trc.write.after_spans")
        _insert_logs(conn, logs, "(tenant_id, trace_id, span_id, seq)" if tenant_keys else None)
        crashpoint("trc.write.after_logs")
    crashpoint("trc.write.after_commit")


def _on_conflict(target: str | None) -> str:
    return f" ON CONFLICT {target} DO NOTHING" if target else ""


def _insert_traces(conn: psycopg.Connection, rows: Sequence[Trace], target: str) -> None:
    if rows:
        conn.execute(
            "INSERT INTO traces (tenant_id, trace_id, name)"
            " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[])" + _on_conflict(target),
            ([r.tenant_id for r in rows], [r.trace_id for r in rows], [r.name for r in rows]),
        )


def _insert_spans(conn: psycopg.Connection, rows: Sequence[Span], target: str | None) -> None:
    if rows:
        conn.execute(
            "INSERT INTO spans (tenant_id, trace_id, span_id, parent_span_id, name)"
            " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[])"
            + _on_conflict(target),
            (
                [r.tenant_id for r in rows],
                [r.trace_id for r in rows],
                [r.span_id for r in rows],
                [r.parent_span_id for r in rows],
                [r.name for r in rows],
            ),
        )


def _insert_logs(conn: psycopg.Connection, rows: Sequence[Log], target: str | None) -> None:
    if rows:
        conn.execute(
            "INSERT INTO logs (tenant_id, trace_id, span_id, seq, body)"
            " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::int[], %s::text[])"
            + _on_conflict(target),
            (
                [r.tenant_id for r in rows],
                [r.trace_id for r in rows],
                [r.span_id for r in rows],
                [r.seq for r in rows],
                [r.body for r in rows],
            ),
        )
