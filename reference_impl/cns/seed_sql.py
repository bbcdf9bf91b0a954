"""The seed's one-time data migration script (section 3, "Migration Script"), verbatim.

Kept as written so a claim about it is decided by running it. On the seed's own
target schema (``schema.SEED_V1``) the second statement cannot run:
``consensus_runs`` has no ``run_id`` column for its JOIN. ``SEED_V1_WITH_RUN_ID``
is the smallest repair that lets it run (one added column): it then runs, but
its first INSERT never fills ``run_id``, so the JOIN matches nothing and not one
agent output is migrated. ``SEED_MIGRATION_SQL_RUN_ID_CARRIED`` also carries
``run_id`` through the first INSERT (the next smallest repair), which shows what
the plan loses even then: artifacts whose ``run_id`` is NULL (``=`` never
matches NULL), ``response_text`` (not copied), sub-second timestamps
(``strftime('%s')`` is whole seconds); and it invents ``consensus_ok = 1`` /
``degraded = 0`` for runs whose outcome nobody recorded.
"""

from __future__ import annotations

from reference_impl.cns.schema import SEED_V1

SEED_MIGRATION_SQL = """
-- Extract runs from artifacts (group by spec_id + stage + run_id)
INSERT INTO consensus_runs (spec_id, stage, run_timestamp, consensus_ok, degraded)
SELECT DISTINCT
    spec_id,
    stage,
    strftime('%s', created_at) * 1000,  -- Convert to milliseconds
    1,     -- Assume historical consensus OK
    0      -- Unknown degradation status
FROM consensus_artifacts
GROUP BY spec_id, stage, run_id;

-- Extract agent outputs (link to runs via run_id)
INSERT INTO agent_outputs (run_id, agent_name, content, output_timestamp)
SELECT
    cr.id,                              -- FK to consensus_runs
    ca.agent_name,
    ca.content_json,
    strftime('%s', ca.created_at) * 1000
FROM consensus_artifacts ca
JOIN consensus_runs cr ON
    ca.spec_id = cr.spec_id AND
    ca.stage = cr.stage AND
    ca.run_id = cr.run_id;
"""

SEED_V1_WITH_RUN_ID = SEED_V1.replace(
    "    stage TEXT NOT NULL,\n    run_timestamp",
    "    stage TEXT NOT NULL,\n    run_id TEXT,\n    run_timestamp",
    1,
)
assert SEED_V1_WITH_RUN_ID != SEED_V1

SEED_MIGRATION_SQL_RUN_ID_CARRIED = SEED_MIGRATION_SQL.replace(
    "INSERT INTO consensus_runs (spec_id, stage, run_timestamp",
    "INSERT INTO consensus_runs (spec_id, stage, run_id, run_timestamp",
    1,
).replace("    stage,\n    strftime", "    stage,\n    run_id,\n    strftime", 1)
assert SEED_MIGRATION_SQL_RUN_ID_CARRIED.count("run_id,") == SEED_MIGRATION_SQL.count("run_id,") + 2
