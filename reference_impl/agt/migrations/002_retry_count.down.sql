DROP INDEX IF EXISTS idx_commands_retry_count;
ALTER TABLE commands DROP COLUMN IF EXISTS retry_count;
