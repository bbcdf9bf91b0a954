"""CNS-7's chunked vacuum: a file with a known number of free pages, the job run on it, and a
snapshot that counts free pages (module level: the op travels pickled to the child)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import apsw

from reference_impl.cns import open_store
from scenarios.cns import data, files, ops

#: The fix's statement: free 4 MiB per step (1024 pages of 4 KiB), so writers wait one
#: chunk, not the whole job. Written here, not read from the store.
CHUNK_PAGES = 1024
#: Free pages left for the job: one whole chunk and one page beyond, so a job that frees
#: more than a chunk per step, or stops before the last page, is seen.
FREE_PAGES = CHUNK_PAGES + 1
RUNS = 160  # 4 outputs of 3 KB in old and new tables: about 1,200 pages freed by the delete


def _free(conn: apsw.Connection) -> int:
    return int(conn.execute("PRAGMA freelist_count").fetchone()[0])


def chunked_template(variant: str, directory: Path) -> Path:
    """A file ``variant`` made (its pragmas from the first connection: the seed's and the
    reference's are incremental), runs stored, most deleted, then free pages given back
    outside the store until ``FREE_PAGES`` are left (where the file can: not the prefix's)."""
    path = directory / f"chunks-{variant}.db"
    with open_store(variant, path, ops.config()) as store:
        for n in range(RUNS):
            spec = f"KEEP-{n}" if n % 16 == 0 else "SPEC-0"
            store.store_run(data.run(n, spec=spec, agents=4, pad=3000))
        store.delete_spec("SPEC-0")
    conn = apsw.Connection(str(path))
    extra = _free(conn) - FREE_PAGES
    incremental = conn.execute("PRAGMA auto_vacuum").fetchone() == (2,)
    if incremental and extra < 0:
        raise RuntimeError(f"{path}: {_free(conn)} free pages, fewer than {FREE_PAGES}: raise RUNS")
    if incremental:
        conn.execute(f"PRAGMA incremental_vacuum({extra})").fetchall()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    conn.close()
    return path


def vacuum_job(variant: str, path: str) -> dict[str, int]:
    """The store's vacuum job; the file's size read while the store is still open (a
    service runs for days: the file must shrink then, not at its next restart)."""
    with open_store(variant, path, ops.config()) as store:
        stats = store.vacuum()
        return {
            "reported_before": stats.file_bytes_before,
            "freelist_after": stats.freelist_after,
            "bytes_open": Path(path).stat().st_size,
        }


def snapshot(path: Path) -> dict[str, Any]:
    snap = files.snapshot(path)
    if path.exists():
        conn = apsw.Connection(str(path))
        try:
            snap["freelist"] = _free(conn)
        finally:
            conn.close()
    return snap
