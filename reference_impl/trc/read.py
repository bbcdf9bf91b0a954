"""The read API, by tenant (TRC-4).

``prefix``/``seed``: a trace is keyed by its id alone, and a trace's spans and
logs are fetched by trace id once the trace row is found to be the tenant's:
the tenant check is on the trace row only. When two tenants send the same
trace id (W3C trace context crosses tenant boundaries), the first owns the
row, and reading it returns the other tenant's spans and logs too.
``fixed``: every table is filtered by tenant, and joined on (tenant, trace).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from reference_impl.trc.batch import Log, Span, Trace
from reference_impl.trc.variants import Variant


@dataclass(frozen=True)
class TraceView:
    trace: Trace
    spans: tuple[Span, ...]
    logs: tuple[Log, ...]


def list_traces(conn: psycopg.Connection, tenant_id: str, variant: Variant) -> list[Trace]:
    rows = conn.execute(
        "SELECT tenant_id, trace_id, name FROM traces WHERE tenant_id = %s ORDER BY trace_id",
        (tenant_id,),
    )
    return [Trace(*r) for r in rows]


def get_trace(
    conn: psycopg.Connection, tenant_id: str, trace_id: str, variant: Variant
) -> TraceView | None:
    row = conn.execute(
        "SELECT tenant_id, trace_id, name FROM traces WHERE tenant_id = %s AND trace_id = %s",
        (tenant_id, trace_id),
    ).fetchone()
    if row is None:
        return None
    args: tuple[str, ...]
    if variant.lacks("tenant_keys"):
        where, args = "trace_id = %s", (trace_id,)  # the trace row was the tenant check
    else:
        where, args = "tenant_id = %s AND trace_id = %s", (tenant_id, trace_id)
    spans = conn.execute(
        "SELECT tenant_id, trace_id, span_id, name, parent_span_id FROM spans"
        f" WHERE {where} ORDER BY span_id, id",
        args,
    )
    logs = conn.execute(
        f"SELECT tenant_id, trace_id, span_id, seq, body FROM logs WHERE {where}"
        " ORDER BY span_id, seq, id",
        args,
    )
    return TraceView(Trace(*row), tuple(Span(*s) for s in spans), tuple(Log(*lg) for lg in logs))


def read_tenant(conn: psycopg.Connection, tenant_id: str, variant: Variant) -> list[TraceView]:
    """Everything the API shows ``tenant_id``: each of its traces with spans and logs."""
    out = []
    for trace in list_traces(conn, tenant_id, variant):
        view = get_trace(conn, tenant_id, trace.trace_id, variant)
        if view is not None:
            out.append(view)
    return out
