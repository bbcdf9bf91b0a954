"""The schema's migrations, as SQL text: up and down for each version (AGT-8).

Kept as module constants (not ``.sql`` files) so that each migration is the code
it is: read by ``migrate`` at every run, and changed by ``harness mutate`` like any
other SQL of the fixes (002's ``IF [NOT] EXISTS`` is AGT-8's fix). ``migrate``
splits a text into statements at a ``;`` that ends a line. Comments are Python's,
outside the SQL, so that a mutation never lands in one.
"""

from __future__ import annotations

# 001: the agent command server before AGT-8: agents, their tokens, their commands.
# registration_tokens.used_by_agent is SET NULL on delete: that keeps the consumption
# visible if an agent row is deleted (the pre-fix compensation); agent_proof_hash is
# AGT-9's sha256 of the secret the registering agent generated, committed with the
# consumption.
V001_BASE_UP = """\
CREATE TABLE agents (
    id uuid PRIMARY KEY,
    hostname text NOT NULL CHECK (length(hostname) BETWEEN 1 AND 253),
    created_at timestamptz NOT NULL,
    last_seen_at timestamptz
);

CREATE TABLE registration_tokens (
    id bigserial PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    used_by_agent uuid REFERENCES agents (id) ON DELETE SET NULL,
    agent_proof_hash bytea CHECK (agent_proof_hash IS NULL OR length(agent_proof_hash) = 32)
);

CREATE TABLE refresh_tokens (
    id bigserial PRIMARY KEY,
    agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_agent ON refresh_tokens (agent_id);

CREATE TABLE commands (
    id bigserial PRIMARY KEY,
    agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    kind text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}'::jsonb,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sent', 'acknowledged', 'failed')),
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    sent_at timestamptz,
    acknowledged_at timestamptz,
    result jsonb
);
CREATE INDEX commands_agent_status ON commands (agent_id, status);
"""

V001_BASE_DOWN = """\
DROP TABLE IF EXISTS commands;
DROP TABLE IF EXISTS refresh_tokens;
DROP TABLE IF EXISTS registration_tokens;
DROP TABLE IF EXISTS agents;
"""

# 002 (AGT-8, the seed's migration 029): a re-delivery counter and the partial index the
# stuck-command query uses. IF NOT EXISTS makes a second run a no-op.
V002_RETRY_COUNT_UP = """\
ALTER TABLE commands ADD COLUMN IF NOT EXISTS retry_count integer NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS idx_commands_retry_count ON commands (retry_count)
    WHERE status IN ('pending', 'sent');
"""

# AGT-8 pre-fix: the same change, not guarded against existing objects (a second run fails).
V002_RETRY_COUNT_PREFIX_UP = """\
ALTER TABLE commands ADD COLUMN retry_count integer NOT NULL DEFAULT 0;
CREATE INDEX idx_commands_retry_count ON commands (retry_count)
    WHERE status IN ('pending', 'sent');
"""

V002_RETRY_COUNT_DOWN = """\
DROP INDEX IF EXISTS idx_commands_retry_count;
ALTER TABLE commands DROP COLUMN IF EXISTS retry_count;
"""
