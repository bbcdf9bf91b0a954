"""CNS-4: dual-write to the old and new schema in one transaction, read-compare validated.

Invariant: the writer SIGKILLed at any point while storing consensus runs
leaves 0 mismatches between old and new rows (compared from the file, apart
from the store's own validator).
"""

from __future__ import annotations

import functools

from harness.checkers import Check
from harness.crash import AFTER_FAULT, explore_points
from harness.scenario import ScenarioContext, scenario
from scenarios.cns import files, ops

VARIANTS = ("prefix", "seed", "fixed")
CHECKS = [
    Check("cns.integrity", stage=AFTER_FAULT),
    Check("cns.dual_write_equal", stage=AFTER_FAULT),
]


@scenario("CNS-4", variants=VARIANTS, measured=("seed",))
def test_dual_write_killed_at_every_point(ctx: ScenarioContext, tmp_path) -> None:
    path = tmp_path / "store.db"
    explore_points(
        ctx,
        op=lambda facts, link: functools.partial(ops.store_runs, ctx.variant, str(path), 1, 1),
        reset=lambda: ops.prepare(ctx.variant, str(path)),
        snapshot=lambda: files.snapshot(path),
        checks=CHECKS,
    )
