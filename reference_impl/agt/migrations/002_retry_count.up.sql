-- AGT-8 (the seed's migration 029): a re-delivery counter and the partial index the
-- stuck-command query uses. IF NOT EXISTS makes a second run a no-op.
ALTER TABLE commands ADD COLUMN IF NOT EXISTS retry_count integer NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS idx_commands_retry_count ON commands (retry_count)
    WHERE status IN ('pending', 'sent');
