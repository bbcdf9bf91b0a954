"""Reading a store's file as a later process would, with plain apsw: no store code.

The scenarios' checks judge what these return; expected values come from the
fix statements (FIXES.md CNS), never from reference_impl.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import apsw

OLD_TABLES = {"consensus_artifacts", "consensus_synthesis", "agent_executions"}
NEW_TABLES = {"consensus_runs", "agent_outputs"}


def snapshot(path: Path) -> dict[str, Any]:
    """Integrity, version, tables, and the old and new rows in comparable form."""
    conn = apsw.Connection(str(path))  # opening replays a WAL / rolls back a hot journal
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
        snap: dict[str, Any] = {
            "integrity": [r[0] for r in conn.execute("PRAGMA integrity_check")],
            "user_version": conn.execute("PRAGMA user_version").fetchone()[0],
            "tables": sorted(tables & (OLD_TABLES | NEW_TABLES)),
        }
        if "consensus_artifacts" in tables:
            snap["old"] = sorted(conn.execute(
                "SELECT spec_id, stage, agent_name, content_json FROM consensus_artifacts"))
            snap["synthesis"] = sorted(conn.execute(
                "SELECT spec_id, stage, run_id FROM consensus_synthesis"), key=repr)
        if NEW_TABLES <= tables:
            cols = {r[1] for r in conn.execute("PRAGMA table_info(agent_outputs)")}
            link = "run_ref" if "run_ref" in cols else "run_id"
            snap["new"] = sorted(conn.execute(
                "SELECT r.spec_id, r.stage, o.agent_name, o.content FROM agent_outputs o"
                f" JOIN consensus_runs r ON r.id = o.{link}"))
            snap["runs"] = conn.execute("SELECT COUNT(*) FROM consensus_runs").fetchone()[0]
        if "agent_executions" in tables:
            snap["agents"] = {
                a: ("failed" if err is not None else "completed" if done is not None else "spawned")
                for a, done, err in conn.execute(
                    "SELECT agent_id, completed_at, extraction_error FROM agent_executions")
            }
        return snap
    finally:
        conn.close()


def mismatches(snap: dict[str, Any]) -> dict[str, list[Any]]:
    """Old rows without their new copy and new rows without their old one (multisets)."""
    old, new = Counter(map(tuple, snap.get("old", []))), Counter(map(tuple, snap.get("new", [])))
    return {"missing_in_new": list((old - new).elements()),
            "missing_in_old": list((new - old).elements())}


def file_bytes(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0
