"""The schema's migrations, as SQL statements: up and down for each version.

Kept as module constants (not ``.sql`` files) so that each statement is the code
it is: read by ``migrate`` at every run, and changed by ``harness mutate`` like any
other SQL of the fixes (the dedup's join condition is TRC-3's code). Every
statement is ``IF [NOT] EXISTS`` from 002 on, so the SQL itself can run twice.
"""

from __future__ import annotations

#: where the runner records the versions applied (one row each, in the migration's transaction)
MIGRATIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations"
    " (version integer PRIMARY KEY, name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())"
)

# 001: the pipeline's tables as the seed found them: a trace is keyed by its id alone,
# spans and logs by an auto-increment id only (no unique key, no foreign key).
V001_UP = (
    "CREATE TABLE traces ("
    " id bigserial PRIMARY KEY, tenant_id text NOT NULL, trace_id text NOT NULL,"
    " name text NOT NULL)",
    "CREATE UNIQUE INDEX traces_trace_id_key ON traces (trace_id)",
    "CREATE TABLE spans ("
    " id bigserial PRIMARY KEY, tenant_id text NOT NULL, trace_id text NOT NULL,"
    " span_id text NOT NULL, parent_span_id text, name text NOT NULL)",
    "CREATE INDEX spans_trace ON spans (tenant_id, trace_id)",
    "CREATE TABLE logs ("
    " id bigserial PRIMARY KEY, tenant_id text NOT NULL, trace_id text NOT NULL,"
    " span_id text NOT NULL, seq integer NOT NULL, body text NOT NULL)",
    "CREATE INDEX logs_span ON logs (tenant_id, trace_id, span_id)",
)
V001_DOWN = (
    "DROP TABLE IF EXISTS logs",
    "DROP TABLE IF EXISTS spans",
    "DROP TABLE IF EXISTS traces",
)

# 002 (TRC-4): a trace belongs to its tenant. Keyed by its id alone, the first tenant to
# send a trace id owns it and every other tenant's spans hang off that row (W3C trace
# context crosses tenant boundaries, so the same id does arrive twice).
V002_UP = (
    "DROP INDEX IF EXISTS traces_trace_id_key",
    "CREATE UNIQUE INDEX IF NOT EXISTS traces_tenant_trace_key ON traces (tenant_id, trace_id)",
)
# Fails (and changes nothing) if two tenants now share a trace id: that is data the old
# key cannot hold, and it is not ours to delete.
V002_DOWN = (
    "DROP INDEX IF EXISTS traces_tenant_trace_key",
    "CREATE UNIQUE INDEX IF NOT EXISTS traces_trace_id_key ON traces (trace_id)",
)

# 003 (TRC-3): unique keys on spans and logs, so a replayed batch (ON CONFLICT DO NOTHING)
# stores nothing twice. Duplicates already stored are removed first, keeping the first
# stored copy (lowest id) of each key; the index could not be built otherwise.
V003_DEDUP_SPANS = (
    "DELETE FROM spans s USING spans d"
    " WHERE s.tenant_id = d.tenant_id AND s.trace_id = d.trace_id AND s.span_id = d.span_id"
    " AND s.id > d.id"
)
V003_DEDUP_LOGS = (
    "DELETE FROM logs l USING logs d"
    " WHERE l.tenant_id = d.tenant_id AND l.trace_id = d.trace_id AND l.span_id = d.span_id"
    " AND l.seq = d.seq AND l.id > d.id"
)
V003_KEYS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS spans_tenant_trace_span_key"
    " ON spans (tenant_id, trace_id, span_id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS logs_tenant_span_seq_key"
    " ON logs (tenant_id, trace_id, span_id, seq)",
)
# The keys go; the duplicates the up migration removed do not come back.
V003_DOWN = (
    "DROP INDEX IF EXISTS logs_tenant_span_seq_key",
    "DROP INDEX IF EXISTS spans_tenant_trace_span_key",
)
