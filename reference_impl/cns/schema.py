"""Table definitions: the flat tables the seed found, and the two versions of the new ones.

``LEGACY`` is the seed's current ``consensus_db.rs``: three tables created with
``IF NOT EXISTS`` on every open, no version. ``agent_executions`` is as the seed
quotes it; ``consensus_artifacts`` has the eight columns the seed lists (it
says "7 columns" and lists eight); ``consensus_synthesis`` is not quoted, only
"11 columns": these eleven are ours.

``SEED_V1`` is the seed's target schema exactly as written (SPEC-945B):
``consensus_runs`` has no ``run_id`` column, and ``agent_outputs`` has no
``response_text`` and no link back to the artifact it came from.

``FIXED_V1`` keeps every value the flat table holds: the run id (NULL stays
NULL: one run per (spec, stage, NULL) through an expression index), the
timestamps as stored text, ``response_text``, and ``artifact_id`` (the flat
row an output mirrors), so a data migration can be rerun and a dual-write
compared row for row. Unknown facts stay NULL (``consensus_ok``, ``degraded``).
"""

from __future__ import annotations

LEGACY_TABLES = ("consensus_artifacts", "consensus_synthesis", "agent_executions")
NEW_TABLES = ("consensus_runs", "agent_outputs")

LEGACY = """
CREATE TABLE IF NOT EXISTS consensus_artifacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    spec_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    agent_name TEXT NOT NULL,
    content_json TEXT NOT NULL,
    response_text TEXT,
    run_id TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS consensus_synthesis (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    spec_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    output_markdown TEXT NOT NULL,
    status TEXT NOT NULL,
    artifacts_count INTEGER NOT NULL,
    agreements TEXT,
    conflicts TEXT,
    degraded INTEGER NOT NULL DEFAULT 0,
    run_id TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS agent_executions (
    agent_id TEXT PRIMARY KEY,
    spec_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    phase_type TEXT NOT NULL,
    agent_name TEXT NOT NULL,
    run_id TEXT,
    spawned_at TEXT NOT NULL,
    completed_at TEXT,
    response_text TEXT,
    extraction_error TEXT
);
"""

SEED_V1 = """
CREATE TABLE consensus_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    spec_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    run_timestamp INTEGER NOT NULL,
    consensus_ok INTEGER NOT NULL,
    degraded INTEGER NOT NULL,
    synthesis_json TEXT
);
CREATE TABLE agent_outputs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES consensus_runs(id),
    agent_name TEXT NOT NULL,
    model_version TEXT,
    content TEXT NOT NULL,
    output_timestamp INTEGER NOT NULL
);
"""

FIXED_V1 = """
CREATE TABLE consensus_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    spec_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    run_id TEXT,
    started_at TEXT NOT NULL,
    consensus_ok INTEGER,
    degraded INTEGER,
    synthesis_json TEXT
);
CREATE UNIQUE INDEX consensus_runs_key ON consensus_runs(spec_id, stage, IFNULL(run_id, ''));
CREATE TABLE agent_outputs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_ref INTEGER NOT NULL REFERENCES consensus_runs(id) ON DELETE CASCADE,
    artifact_id INTEGER UNIQUE,
    agent_name TEXT NOT NULL,
    model_version TEXT,
    content TEXT NOT NULL,
    response_text TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX agent_outputs_run ON agent_outputs(run_ref);
"""
