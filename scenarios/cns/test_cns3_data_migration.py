"""CNS-3: the data migration from the flat consensus_artifacts into the normalized tables.

Invariant: after migrating a file the seed's current code left (NULL run ids,
sub-second timestamps, degraded and conflicting syntheses, runs sharing a spec
and a stage, a run no synthesis judged): 0 mismatches between old and new rows
(run id included), each run carries its own synthesis, a rerun adds nothing,
and no outcome is invented (a run no synthesis judged has no consensus_ok). The
seed's own SQL runs as written (it fails: its consensus_runs has no run_id).
One run per (spec, stage, run id), a NULL run id one key, as the seed groups them.

The seed's phase 2 is dual-write *and* the one-time migration: when the copy runs, the
new tables already hold the runs dual-written since phase 1 (one of them under a key
the flat rows hold too). The copy adds each flat row once: nothing twice, no second
run for a key.
"""

from __future__ import annotations

from harness.checkers import Check
from harness.crash import AFTER_FAULT, AFTER_RECOVERY
from harness.scenario import ScenarioContext, scenario
from scenarios.cns import data, ops, plans

VARIANTS = ("prefix", "seed", "fixed")
CHECKS = [
    Check("cns.ops_ok", f="migrate_all"),
    Check("cns.integrity", stage=AFTER_FAULT),
    Check("cns.dual_write_equal", stage=AFTER_FAULT),
    Check("cns.runs_carry_synthesis", stage=AFTER_FAULT),
    Check("cns.nothing_invented", stage=AFTER_FAULT),
    Check("cns.one_run_per_key", stage=AFTER_FAULT),
    Check("cns.migrated_once", stage=AFTER_RECOVERY),
    Check("cns.one_run_per_key", stage=AFTER_RECOVERY),
]


@scenario("CNS-3", variants=VARIANTS, measured=("seed",))
def test_migrate_the_flat_table(ctx: ScenarioContext, tmp_path) -> None:
    rerun = plans.steps_after(ctx.variant, ("rerun_migration", ops.migrate_all))
    # The migration uninterrupted: crashes in it are CNS-2's.
    plans.from_legacy(ctx, tmp_path, ops.migrate_all, CHECKS, rerun, points=[])


@scenario("CNS-3", variants=VARIANTS, measured=("seed",))
def test_migrate_after_dual_writes(ctx: ScenarioContext, tmp_path) -> None:
    rerun = plans.steps_after(ctx.variant, ("rerun_migration", ops.migrate_all))
    template = data.dual_write_template(tmp_path)
    plans.from_legacy(ctx, tmp_path, ops.migrate_all, CHECKS, rerun, points=[], template=template)
