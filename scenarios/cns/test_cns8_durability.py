"""CNS-8: crash durability.

SIGKILL at every point of storing a run: each run all or nothing (its artifacts,
synthesis, outputs, and its row in the new schema carrying that synthesis),
integrity ok; with no fault, the run is stored whole. Power cut after every write SQLite made
(the disk model; un-fsynced data lost or torn): integrity ok, each run all or
nothing, and every acknowledged commit survives under the store's synchronous
level. The reference runs WAL with ``synchronous = FULL`` (the WAL is fsynced at
every commit). The seed's NORMAL promises durability across an application
crash only: SQLite documents that in WAL mode with NORMAL "a transaction
committed ... might roll back following a power loss or system crash"; the
prefix's rollback journal with FULL is durable but its writes are not grouped
in transactions.
"""

from __future__ import annotations

import functools
from pathlib import Path

from harness.checkers import Check
from harness.crash import AFTER_FAULT
from harness.scenario import ScenarioContext, scenario
from reference_impl.cns import open_store
from scenarios.cns import data, ops, plans, power

VARIANTS = ("prefix", "seed", "fixed")
RUNS = 1  # one run: its commit, the ack, the close; enough to lose an acked commit (seed)
KILL_CHECKS = [
    Check("cns.integrity", stage=AFTER_FAULT),
    Check("cns.runs_whole", stage=AFTER_FAULT),
    Check("cns.run_stored", stage=AFTER_FAULT),
    Check("cns.runs_carry_synthesis", stage=AFTER_FAULT, outcome=True),
]
POWER_CHECKS = [
    Check("cns.integrity", stage=power.AFTER_POWER),
    Check("cns.runs_whole", stage=power.AFTER_POWER),
    Check("cns.acked_survive", stage=power.AFTER_POWER),
]


@scenario("CNS-8", variants=VARIANTS, measured=("seed",))
def test_killed_mid_transaction(ctx: ScenarioContext, tmp_path) -> None:
    plans.storing_one_run(ctx, tmp_path, KILL_CHECKS)


def _store_runs(variant: str, root: Path, rec) -> None:
    with open_store(variant, root / "store.db", power.recording_config(rec)) as store:
        for n in range(1, RUNS + 1):
            run = data.run(n)
            store.store_run(run)
            rec.ack(f"{run.spec_id}/{run.stage}")  # the commit returned to its caller


@scenario("CNS-8", variants=VARIANTS, measured=("seed",))
def test_power_cut_at_every_write(ctx: ScenarioContext, tmp_path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    ops.prepare(ctx.variant, str(root / "store.db"))
    power.explore_power(ctx, functools.partial(_store_runs, ctx.variant, root), root, POWER_CHECKS)
