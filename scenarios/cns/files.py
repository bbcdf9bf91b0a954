"""Reading a store's file as a later process would, with plain apsw: no store code.

``snapshot`` is what the records keep (JSON values); the registered checkers in
``checks`` judge it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import apsw

OLD_TABLES = {"consensus_artifacts", "consensus_synthesis", "agent_executions"}
NEW_TABLES = {"consensus_runs", "agent_outputs"}


def _rows(conn: apsw.Connection, sql: str) -> list[list[Any]]:
    return sorted((list(r) for r in conn.execute(sql)), key=repr)


def snapshot(path: Path, screen: Path | None = None) -> dict[str, Any]:
    """Integrity, version, tables, old and new rows comparable, agents, file size."""
    path = Path(path)
    if not path.exists():
        return {"integrity": ["ok"], "user_version": 0, "tables": [], "bytes": 0}
    conn = apsw.Connection(str(path))  # opening replays a WAL / rolls back a hot journal
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
        snap: dict[str, Any] = {
            "integrity": [r[0] for r in conn.execute("PRAGMA integrity_check")],
            "user_version": conn.execute("PRAGMA user_version").fetchone()[0],
            "tables": sorted(tables & (OLD_TABLES | NEW_TABLES)),
        }
        snap["auto_vacuum"] = conn.execute("PRAGMA auto_vacuum").fetchone()[0]
        if "consensus_artifacts" in tables:
            snap["old"] = _rows(
                conn,
                "SELECT spec_id, stage, run_id, agent_name, content_json FROM consensus_artifacts",
            )
            snap["synthesis"] = _rows(
                conn,
                "SELECT spec_id, stage, run_id, output_markdown, status, degraded, id"
                " FROM consensus_synthesis",
            )
        if tables >= NEW_TABLES:
            out_cols = {r[1] for r in conn.execute("PRAGMA table_info(agent_outputs)")}
            run_cols = {r[1] for r in conn.execute("PRAGMA table_info(consensus_runs)")}
            link = "run_ref" if "run_ref" in out_cols else "run_id"
            # The seed's consensus_runs keeps no run id: its rows read as NULL there.
            run_id = "r.run_id" if "run_id" in run_cols else "NULL"
            snap["new"] = _rows(
                conn,
                f"SELECT r.spec_id, r.stage, {run_id}, o.agent_name, o.content"
                f" FROM agent_outputs o JOIN consensus_runs r ON r.id = o.{link}",
            )
            snap["runs"] = _rows(
                conn,
                f"SELECT r.spec_id, r.stage, {run_id}, r.synthesis_json, r.degraded,"
                " r.consensus_ok FROM consensus_runs r",
            )
            same_run = " AND s.run_id IS r.run_id" if "run_id" in run_cols else ""
            snap["runs_without_synthesis_ok"] = [
                r[0]
                for r in conn.execute(
                    "SELECT r.consensus_ok FROM consensus_runs r WHERE r.consensus_ok IS NOT NULL"
                    " AND NOT EXISTS (SELECT 1 FROM consensus_synthesis s WHERE s.spec_id = r.spec_id"
                    f" AND s.stage = r.stage{same_run})"
                )
            ]
        if "agent_executions" in tables:
            snap["agents"] = {
                a: ("failed" if err is not None else "completed" if done is not None else "spawned")
                for a, done, err in conn.execute(
                    "SELECT agent_id, completed_at, extraction_error FROM agent_executions"
                )
            }
    finally:
        conn.close()
    snap["bytes"] = path.stat().st_size
    if screen is not None:
        shown: dict[str, str] = {}
        if screen.exists():
            for line in screen.read_text().splitlines():
                agent, status = line.split()
                shown[agent] = status
        snap["shown"] = shown
    return snap


def digest(path: Path) -> str:
    snap = snapshot(path)
    snap.pop("bytes", None)
    return hashlib.sha256(json.dumps(snap, sort_keys=True).encode()).hexdigest()[:16]


#: The artifact ids ``tamper`` writes: one mismatch of each kind a validator must report.
TAMPERED = {"missing_in_new": 900001, "missing_in_old": 900002, "differing": 900003}


def tamper(path: Path) -> None:
    """With plain apsw, into a file of the linked schema: an artifact no output mirrors, an
    output that mirrors no artifact, and an artifact whose output has other content."""
    conn = apsw.Connection(str(path))
    try:
        with conn:
            conn.execute(
                "INSERT INTO consensus_runs(spec_id, stage, run_id, started_at)"
                " VALUES ('TAMPER', 'plan', 't', 't')"
            )
            ref = conn.last_insert_rowid()
            for key, content in (("missing_in_new", "{}"), ("differing", '{"a": 1}')):
                conn.execute(
                    "INSERT INTO consensus_artifacts(id, spec_id, stage, agent_name, content_json,"
                    " run_id, created_at) VALUES (?, 'TAMPER', 'plan', ?, ?, 't', 't')",
                    (TAMPERED[key], key, content),
                )
            for key, content in (("missing_in_old", "{}"), ("differing", '{"a": 2}')):
                conn.execute(
                    "INSERT INTO agent_outputs(run_ref, artifact_id, agent_name, content,"
                    " created_at) VALUES (?, ?, ?, ?, 't')",
                    (ref, TAMPERED[key], key, content),
                )
    finally:
        conn.close()
