-- The agent command server before AGT-8: agents, their tokens, their commands.
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
    -- SET NULL keeps the consumption visible if an agent row is deleted (the pre-fix compensation)
    used_by_agent uuid REFERENCES agents (id) ON DELETE SET NULL,
    -- AGT-9: sha256 of the secret the registering agent generated, committed with the consumption
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
