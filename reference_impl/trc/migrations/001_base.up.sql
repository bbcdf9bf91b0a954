-- The pipeline's tables as the seed found them: a trace is keyed by its id alone,
-- spans and logs by an auto-increment id only (no unique key, no foreign key).
CREATE TABLE traces (
    id bigserial PRIMARY KEY,
    tenant_id text NOT NULL,
    trace_id text NOT NULL,
    name text NOT NULL
);
CREATE UNIQUE INDEX traces_trace_id_key ON traces (trace_id);

CREATE TABLE spans (
    id bigserial PRIMARY KEY,
    tenant_id text NOT NULL,
    trace_id text NOT NULL,
    span_id text NOT NULL,
    parent_span_id text,
    name text NOT NULL
);
CREATE INDEX spans_trace ON spans (tenant_id, trace_id);

CREATE TABLE logs (
    id bigserial PRIMARY KEY,
    tenant_id text NOT NULL,
    trace_id text NOT NULL,
    span_id text NOT NULL,
    seq integer NOT NULL,
    body text NOT NULL
);
CREATE INDEX logs_span ON logs (tenant_id, trace_id, span_id);
