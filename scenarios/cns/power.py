"""Power cuts through the disk model: the store's writes recorded at SQLite's file layer
(a VFS shim), every crash state a power loss allows rebuilt and judged by the CNS checkers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness.checkers import Check
from harness.disk import AFTER_POWER, Bounds, explore
from harness.disk.sqlite import record_sqlite
from reference_impl.cns import StoreConfig
from scenarios.cns import files

__all__ = ["AFTER_POWER", "BOUNDS", "explore_power", "recording_config"]

#: Every subset of up to 4 pending writes, 8 seeded samples beyond: SQLite's commit makes
#: at most 2-3 writes between fsyncs that matter (journal/WAL frames, header), so the
#: exhaustive 8 of the default only multiplied the states (13,000 for CNS-8) without
#: adding a failing kind; the states beyond 4 are still sampled, from the case's seed.
BOUNDS = Bounds(exhaustive_max=4, samples=8)


def recording_config(rec: Any) -> StoreConfig:
    """The shim's files have no shared memory: WAL runs with EXCLUSIVE locking, one connection."""
    return StoreConfig(
        vfs=rec.vfs_name, pool_size=1, extra_pragmas=(("locking_mode", "EXCLUSIVE"),)
    )


def _recover(path: Path) -> dict[str, Any]:
    return files.snapshot(path / "store.db")


def explore_power(
    ctx: Any,
    workload: Callable[[Any], None],
    root: Path,
    checks: Sequence[Check],
    models: Sequence[str] = ("weakest",),
    bounds: Bounds = BOUNDS,
) -> Any:
    trace = record_sqlite(workload, root)
    return explore(
        trace,
        recover=_recover,
        checks=checks,
        models=models,
        bounds=bounds,
        seed=getattr(ctx, "seed", 0) or 0,
        ctx=ctx,
    )
