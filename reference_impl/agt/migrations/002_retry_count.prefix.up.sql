-- AGT-8 pre-fix: the same change, not guarded against existing objects (a second run fails).
ALTER TABLE commands ADD COLUMN retry_count integer NOT NULL DEFAULT 0;
CREATE INDEX idx_commands_retry_count ON commands (retry_count)
    WHERE status IN ('pending', 'sent');
