"""Space reclamation after deletes: what the file weighs, and the incremental vacuum job."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import apsw

from harness.crashpoints import crashpoint


@dataclass(frozen=True)
class VacuumStats:
    auto_vacuum: int  # 0 none, 1 full, 2 incremental (as PRAGMA auto_vacuum reports)
    freelist_before: int
    freelist_after: int
    file_bytes_before: int
    file_bytes_after: int


def file_bytes(path: str | Path) -> int:
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def _one(conn: apsw.Connection, sql: str) -> int:
    row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


def incremental(conn: apsw.Connection, path: str | Path, chunk_pages: int) -> VacuumStats:
    """Free pages back to the OS ``chunk_pages`` at a time, then checkpoint the WAL into the file.

    Each ``incremental_vacuum`` is its own short transaction (writers wait a
    chunk, not the whole job); the file shrinks when the checkpoint copies the
    truncation from the WAL into it. The size before is the database's (pages
    times page size), which the file on disk lags while the WAL holds growth.
    """
    before = _one(conn, "PRAGMA page_count") * _one(conn, "PRAGMA page_size")
    free_before = _one(conn, "PRAGMA freelist_count")
    mode = _one(conn, "PRAGMA auto_vacuum")
    while _one(conn, "PRAGMA freelist_count") > 0 and mode == 2:
        conn.execute(f"PRAGMA incremental_vacuum({int(chunk_pages)})").fetchall()
        crashpoint("cns.vacuum.chunk")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    crashpoint("cns.vacuum.checkpointed")
    return VacuumStats(
        mode, free_before, _one(conn, "PRAGMA freelist_count"), before, file_bytes(path)
    )


def seed_daily(conn: apsw.Connection, path: str | Path) -> VacuumStats:
    """The seed's job: ``PRAGMA incremental_vacuum`` (every free page), nothing else."""
    before = file_bytes(path)
    free_before = _one(conn, "PRAGMA freelist_count")
    conn.execute("PRAGMA incremental_vacuum").fetchall()
    crashpoint("cns.vacuum.chunk")
    return VacuumStats(
        _one(conn, "PRAGMA auto_vacuum"),
        free_before,
        _one(conn, "PRAGMA freelist_count"),
        before,
        file_bytes(path),
    )


def none(conn: apsw.Connection, path: str | Path) -> VacuumStats:
    """The seed's today: no vacuum at all."""
    size = file_bytes(path)
    free = _one(conn, "PRAGMA freelist_count")
    return VacuumStats(_one(conn, "PRAGMA auto_vacuum"), free, free, size, size)
