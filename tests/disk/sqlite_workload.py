"""SQLite calibration workload: three acknowledged commits under one journal setting."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import apsw

from harness.disk.sqlite import SqliteRecorder

DB = "store.db"


def create(root: Path, journal: str) -> None:
    """The initial database (before recording): one table, the journal mode set."""
    db = sqlite3.connect(root / DB)
    db.execute(f"PRAGMA journal_mode={journal}")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    db.commit()
    db.close()


def commits(rec: SqliteRecorder, journal: str, synchronous: str, n: int = 2) -> None:
    db = apsw.Connection(str(rec.root / DB), vfs=rec.vfs_name)
    if journal == "WAL":
        db.execute("PRAGMA locking_mode=EXCLUSIVE")
    db.execute(f"PRAGMA journal_mode={journal}")
    db.execute(f"PRAGMA synchronous={synchronous}")
    for i in range(1, n + 1):
        with db:  # one transaction, committed on exit
            db.execute("INSERT INTO t (id, v) VALUES (?, ?)", (i, "v" * 300))
        rec.ack(str(i))
    db.close()


def recover(root: Path) -> list[str]:
    """Open as any later process would (SQLite rolls back a hot journal, replays the WAL);
    raise unless ``integrity_check`` says ok; the committed ids."""
    db = sqlite3.connect(root / DB)
    try:
        check = db.execute("PRAGMA integrity_check").fetchall()
        if check != [("ok",)]:
            raise RuntimeError(f"integrity_check: {check[:3]}")
        return [str(r[0]) for r in db.execute("SELECT id FROM t ORDER BY id")]
    finally:
        db.close()


def commits_stdlib(root: str, journal: str, synchronous: str, n: int = 2) -> None:
    """The same commits through Python's sqlite3 module (the system's SQLite), for a
    syscall recorder."""
    from harness.disk import ack

    db = sqlite3.connect(Path(root) / DB, isolation_level=None)
    db.execute(f"PRAGMA journal_mode={journal}")
    db.execute(f"PRAGMA synchronous={synchronous}")
    for i in range(1, n + 1):
        db.execute("BEGIN")
        db.execute("INSERT INTO t (id, v) VALUES (?, ?)", (i, "v" * 300))
        db.execute("COMMIT")
        ack(str(i))
    db.close()
