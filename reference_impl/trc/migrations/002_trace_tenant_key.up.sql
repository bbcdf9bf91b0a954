-- TRC-4: a trace belongs to its tenant. Keyed by its id alone, the first tenant
-- to send a trace id owns it and every other tenant's spans hang off that row
-- (W3C trace context crosses tenant boundaries, so the same id does arrive twice).
DROP INDEX IF EXISTS traces_trace_id_key;
CREATE UNIQUE INDEX IF NOT EXISTS traces_tenant_trace_key ON traces (tenant_id, trace_id);
