"""The statements every variant shares; the variants differ in order, grouping and transactions."""

from __future__ import annotations

import apsw

from harness.crashpoints import crashpoint
from reference_impl.cns.records import AgentOutput, ConsensusRun, Synthesis


def insert_artifact(conn: apsw.Connection, run: ConsensusRun, out: AgentOutput) -> int:
    conn.execute(
        "INSERT INTO consensus_artifacts(spec_id, stage, agent_name, content_json, response_text,"
        " run_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            run.spec_id,
            run.stage,
            out.agent_name,
            out.content_json,
            out.response_text,
            run.run_id,
            run.created_at,
        ),
    )
    return int(conn.last_insert_rowid())


def insert_synthesis(conn: apsw.Connection, run: ConsensusRun, syn: Synthesis) -> None:
    conn.execute(
        "INSERT INTO consensus_synthesis(spec_id, stage, output_markdown, status,"
        " artifacts_count, agreements, conflicts, degraded, run_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            run.spec_id,
            run.stage,
            syn.output_markdown,
            syn.status,
            len(run.outputs),
            syn.agreements,
            syn.conflicts,
            int(syn.degraded),
            run.run_id,
            run.created_at,
        ),
    )


def upsert_run(
    conn: apsw.Connection, spec_id: str, stage: str, run_id: str | None, started_at: str
) -> int:
    """The run's row in the reference schema (one per spec, stage, run id; NULL is a key too)."""
    conn.execute(
        "INSERT OR IGNORE INTO consensus_runs(spec_id, stage, run_id, started_at)"
        " VALUES (?, ?, ?, ?)",
        (spec_id, stage, run_id, started_at),
    )
    row = conn.execute(
        "SELECT id FROM consensus_runs WHERE spec_id = ? AND stage = ? AND run_id IS ?",
        (spec_id, stage, run_id),
    ).fetchone()
    assert row is not None
    return int(row[0])


def insert_output(
    conn: apsw.Connection,
    run_ref: int,
    artifact_id: int | None,
    run: ConsensusRun,
    out: AgentOutput,
) -> None:
    conn.execute(
        "INSERT INTO agent_outputs(run_ref, artifact_id, agent_name, model_version, content,"
        " response_text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            run_ref,
            artifact_id,
            out.agent_name,
            out.model_version,
            out.content_json,
            out.response_text,
            run.created_at,
        ),
    )


def set_run_synthesis(conn: apsw.Connection, run_ref: int, syn: Synthesis) -> None:
    conn.execute(
        "UPDATE consensus_runs SET synthesis_json = ?, degraded = ?, consensus_ok = ? WHERE id = ?",
        (syn.to_json(), int(syn.degraded), int(syn.status == "ok"), run_ref),
    )


def agent_rows(conn: apsw.Connection) -> list[tuple[str, object, object]]:
    return [
        (str(r[0]), r[1], r[2])
        for r in conn.execute(
            "SELECT agent_id, completed_at, extraction_error FROM agent_executions"
        )
    ]


def table_names(conn: apsw.Connection) -> set[str]:
    return {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}


def write_run(conn: apsw.Connection, run: ConsensusRun, dual_write: bool) -> None:
    """One run's rows: its artifacts and synthesis (old tables), then, with ``dual_write``, its
    row and outputs in the new tables, each output linked to the artifact it mirrors.
    Atomic only if the caller runs it in a transaction (the reference does; the prefix not)."""
    ids = []
    for out in run.outputs:
        ids.append(insert_artifact(conn, run, out))
        crashpoint("cns.store_run.after_artifact")
    if run.synthesis is not None:
        insert_synthesis(conn, run, run.synthesis)
        crashpoint("cns.store_run.after_synthesis")
    if dual_write:
        ref = upsert_run(conn, run.spec_id, run.stage, run.run_id, run.created_at)
        crashpoint("cns.store_run.after_run")
        for aid, out in zip(ids, run.outputs, strict=True):
            insert_output(conn, ref, aid, run, out)
            crashpoint("cns.store_run.after_output")
        if run.synthesis is not None:
            set_run_synthesis(conn, ref, run.synthesis)
