"""CNS-8: crash durability. SIGKILL mid-transaction: all or nothing, committed data survives,
integrity_check ok. Power cut (the disk model, SQLite's file layer recorded through a VFS
shim): every acknowledged commit survives under the store's synchronous level.

The reference runs WAL with ``synchronous = FULL``: the WAL is fsynced at each
commit, so a commit that returned survives a power cut. The seed's NORMAL
promises that only across an application crash (SQLite's documentation: in WAL
mode with NORMAL "a transaction committed ... might roll back following a power
loss"); the report shows which.
"""

from __future__ import annotations

import functools
from pathlib import Path

from harness.crash.explore import explore_crashes
from harness.disk import explore
from harness.disk.sqlite import record_sqlite
from harness.scenario import ScenarioContext, scenario
from harness.verdict import Verdict, compose
from reference_impl.cns import StoreConfig, open_store
from scenarios.cns import checks, data, files, ops

VARIANTS = ("prefix", "seed", "fixed")
RUNS = 3


@scenario("CNS-8", variants=VARIANTS, measured=("seed",))
def test_killed_mid_transaction(ctx: ScenarioContext, tmp_path) -> None:
    path = tmp_path / "store.db"

    def check(run) -> Verdict:
        snap = files.snapshot(path)
        return compose("cns.durability", [checks.integrity(snap), checks.runs_whole(snap)])

    explore_crashes(functools.partial(ops.store_runs, ctx.variant, str(path), 1, 2),
                    setup=lambda: ops.prepare(ctx.variant, str(path)), check=check, ctx=ctx)


def _workload(variant: str, root: Path, rec) -> None:
    cfg = StoreConfig(vfs=rec.vfs_name, pool_size=1,
                      extra_pragmas=(("locking_mode", "EXCLUSIVE"),))
    with open_store(variant, root / "store.db", cfg) as store:
        for n in range(1, RUNS + 1):
            store.store_run(data.run(n))
            rec.ack(f"{data.run(n).spec_id}/{data.run(n).stage}")


def _recover(path: Path) -> dict:
    return files.snapshot(path / "store.db")


def _check(state, snap) -> Verdict:
    stored = {(s, st) for s, st, _a, _c in snap.get("old", [])}
    lost = [label for label in state.acked if tuple(label.split("/")[:2]) not in stored]
    return compose("cns.power", [
        checks.integrity(snap),
        checks.runs_whole(snap),
        Verdict.violated("cns.acked_survive", f"acknowledged commit(s) lost: {lost}")
        if lost else Verdict.ok("cns.acked_survive", f"{len(state.acked)} acknowledged, none lost"),
    ])


@scenario("CNS-8", variants=VARIANTS, measured=("seed",))
def test_power_cut_at_every_write(ctx: ScenarioContext, tmp_path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    ops.prepare(ctx.variant, str(root / "store.db"))
    trace = record_sqlite(functools.partial(_workload, ctx.variant, root), root)
    explore(trace, recover=_recover, check=_check, models=("weakest",), ctx=ctx)
