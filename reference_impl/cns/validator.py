"""The read-compare validator of the dual-write period: old rows against new rows.

``compare_linked`` (reference schema): every artifact must have exactly one
output that mirrors it (``artifact_id``) with equal fields, and every output
must mirror an artifact. ``compare_by_content`` (the seed's schema, which keeps
no link) can only compare multisets of (spec, stage, agent, content).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import apsw


@dataclass
class Mismatches:
    old_rows: int = 0
    new_rows: int = 0
    missing_in_new: list[object] = field(default_factory=list)
    missing_in_old: list[object] = field(default_factory=list)
    differing: list[object] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.missing_in_new) + len(self.missing_in_old) + len(self.differing)

    def to_json(self) -> dict[str, object]:
        return {
            "old_rows": self.old_rows,
            "new_rows": self.new_rows,
            "mismatches": self.count,
            "missing_in_new": self.missing_in_new[:20],
            "missing_in_old": self.missing_in_old[:20],
            "differing": self.differing[:20],
        }


_OLD = (
    "SELECT id, spec_id, stage, run_id, agent_name, content_json, response_text, created_at"
    " FROM consensus_artifacts"
)
_NEW = (
    "SELECT o.artifact_id, r.spec_id, r.stage, r.run_id, o.agent_name, o.content,"
    " o.response_text, o.created_at FROM agent_outputs o JOIN consensus_runs r ON r.id = o.run_ref"
)


def _read(conn: apsw.Connection, *queries: str) -> list[list[tuple[object, ...]]]:
    """All queries on one snapshot (a read transaction), so a concurrent write cannot split them."""
    conn.execute("BEGIN")
    try:
        return [list(conn.execute(q)) for q in queries]
    finally:
        conn.execute("COMMIT")


def compare_linked(conn: apsw.Connection) -> Mismatches:
    old_rows, new_rows = _read(conn, _OLD, _NEW)
    old = {row[0]: row[1:] for row in old_rows}
    result = Mismatches(old_rows=len(old_rows), new_rows=len(new_rows))
    seen: Counter[object] = Counter()
    for row in new_rows:
        key = row[0]
        seen[key] += 1
        if key is None or key not in old:
            result.missing_in_old.append(key)
        elif seen[key] > 1:
            result.differing.append({"artifact_id": key, "copies": seen[key]})
        elif old[key] != row[1:]:
            result.differing.append({"artifact_id": key, "old": old[key], "new": row[1:]})
    result.missing_in_new.extend(k for k in old if k not in seen)
    return result


def compare_by_content(conn: apsw.Connection) -> Mismatches:
    old_rows, new_rows = _read(
        conn,
        "SELECT spec_id, stage, agent_name, content_json FROM consensus_artifacts",
        "SELECT r.spec_id, r.stage, o.agent_name, o.content FROM agent_outputs o"
        " JOIN consensus_runs r ON r.id = o.run_id",
    )
    old, new = Counter(old_rows), Counter(new_rows)
    result = Mismatches(old_rows=len(old_rows), new_rows=len(new_rows))
    result.missing_in_new.extend(list((old - new).elements()))
    result.missing_in_old.extend(list((new - old).elements()))
    return result
