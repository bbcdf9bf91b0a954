-- TRC-3: unique keys on spans and logs, so a replayed batch (ON CONFLICT DO
-- NOTHING) stores nothing twice. Duplicates already stored are removed first,
-- keeping the first stored copy (lowest id) of each key; the index could not
-- be built otherwise.
DELETE FROM spans s USING spans d
 WHERE s.tenant_id = d.tenant_id AND s.trace_id = d.trace_id AND s.span_id = d.span_id
   AND s.id > d.id;
DELETE FROM logs l USING logs d
 WHERE l.tenant_id = d.tenant_id AND l.trace_id = d.trace_id AND l.span_id = d.span_id
   AND l.seq = d.seq AND l.id > d.id;
CREATE UNIQUE INDEX IF NOT EXISTS spans_tenant_trace_span_key ON spans (tenant_id, trace_id, span_id);
CREATE UNIQUE INDEX IF NOT EXISTS logs_tenant_span_seq_key ON logs (tenant_id, trace_id, span_id, seq);
