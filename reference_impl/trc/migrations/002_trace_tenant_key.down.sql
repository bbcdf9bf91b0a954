-- Fails (and changes nothing) if two tenants now share a trace id: that is data
-- the old key cannot hold, and it is not ours to delete.
DROP INDEX IF EXISTS traces_tenant_trace_key;
CREATE UNIQUE INDEX IF NOT EXISTS traces_trace_id_key ON traces (trace_id);
