"""A database as the seed's current code leaves it: the three flat tables, no pragmas, no version.

The starting point of every migration scenario and of the vacuum benchmark
(the seed's "153 MB" file was made by this code: auto_vacuum NONE).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import apsw

from reference_impl.cns import sql
from reference_impl.cns.records import ConsensusRun
from reference_impl.cns.schema import LEGACY


def write_legacy(path: str | Path, runs: Iterable[ConsensusRun], vfs: str | None = None) -> int:
    """Create (or extend) a flat-table database with ``runs``; returns artifacts written."""
    conn = apsw.Connection(str(path), vfs=vfs)
    written = 0
    try:
        conn.execute(LEGACY)
        conn.execute("BEGIN")
        for run in runs:
            for out in run.outputs:
                sql.insert_artifact(conn, run, out)
                written += 1
            if run.synthesis is not None:
                sql.insert_synthesis(conn, run, run.synthesis)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return written
