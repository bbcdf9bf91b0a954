"""Power cuts through the disk model: the store's writes recorded at SQLite's file layer
(a VFS shim), every crash state a power loss allows rebuilt and judged by the CNS checkers."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness.checkers import Check
from harness.disk import explore
from harness.disk.sqlite import record_sqlite
from harness.history import History
from harness.verdict import Verdict, compose
from reference_impl.cns import StoreConfig
from scenarios.cns import files

AFTER_POWER = "after_power"


def recording_config(rec: Any) -> StoreConfig:
    """The shim's files have no shared memory: WAL runs with EXCLUSIVE locking, one connection."""
    return StoreConfig(
        vfs=rec.vfs_name, pool_size=1, extra_pragmas=(("locking_mode", "EXCLUSIVE"),)
    )


def _recover(path: Path) -> dict[str, Any]:
    return files.snapshot(path / "store.db")


def _judge(checks: Sequence[Check], state: Any, snap: dict[str, Any]) -> Verdict:
    history = History()
    history.snapshot(AFTER_POWER, snap)
    history.meta["facts"] = {"acked": list(state.acked)}
    return compose("cns.power", [c(history) for c in checks])


def explore_power(
    ctx: Any,
    workload: Callable[[Any], None],
    root: Path,
    checks: Sequence[Check],
    models: Sequence[str] = ("weakest",),
) -> Any:
    trace = record_sqlite(workload, root)
    return explore(
        trace, recover=_recover, check=functools.partial(_judge, checks), models=models, ctx=ctx
    )
