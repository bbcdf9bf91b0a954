"""CNS-3: the data migration from the flat consensus_artifacts into the normalized tables.

Invariant: after migrating a file the seed's current code left (NULL run ids,
sub-second timestamps, degraded and conflicting syntheses): 0 mismatches
between old and new rows, a rerun adds nothing, and no outcome is invented
(a run no synthesis judged has no consensus_ok). The seed's own SQL runs as
written (it fails: its consensus_runs has no run_id).
"""

from __future__ import annotations

import functools

from harness.checkers import Check
from harness.crash import AFTER_FAULT, AFTER_RECOVERY, explore_points
from harness.scenario import ScenarioContext, scenario
from scenarios.cns import data, files, ops

VARIANTS = ("prefix", "seed", "fixed")
CHECKS = [
    Check("cns.ops_ok", f="migrate_all"),
    Check("cns.integrity", stage=AFTER_FAULT),
    Check("cns.dual_write_equal", stage=AFTER_FAULT),
    Check("cns.nothing_invented", stage=AFTER_FAULT),
    Check("cns.migrated_once", stage=AFTER_RECOVERY),
]


@scenario("CNS-3", variants=VARIANTS, measured=("seed",))
def test_migrate_the_flat_table(ctx: ScenarioContext, tmp_path) -> None:
    template = data.legacy_template(tmp_path)
    path = tmp_path / "store.db"

    def recover(steps) -> None:  # the migration run again (a restart, an operator's rerun)
        steps.run(
            "rerun", functools.partial(ops.migrate_all, ctx.variant, str(path)), f="rerun_migration"
        )

    explore_points(
        ctx,
        op=lambda facts, link: functools.partial(ops.migrate_all, ctx.variant, str(path)),
        reset=lambda: data.reset_to(template, path),
        snapshot=lambda: files.snapshot(path),
        recover=recover,
        checks=CHECKS,
        points=[],  # the migration uninterrupted: crashes in it are CNS-2's
    )
