-- The keys go; the duplicates the up migration removed do not come back.
DROP INDEX IF EXISTS logs_tenant_span_seq_key;
DROP INDEX IF EXISTS spans_tenant_trace_span_key;
