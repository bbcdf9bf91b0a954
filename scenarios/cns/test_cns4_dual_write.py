"""CNS-4: dual-write to the old and new schema in one transaction, read-compare validated.

Invariant: the writer SIGKILLed at any point of storing consensus runs leaves 0
mismatches between old and new rows (compared from the file, independently of
the store's own validator, which must agree).
"""

from __future__ import annotations

import functools

from harness.crash.explore import explore_crashes
from harness.scenario import ScenarioContext, scenario
from harness.verdict import compose
from scenarios.cns import checks, files, ops

VARIANTS = ("prefix", "seed", "fixed")


@scenario("CNS-4", variants=VARIANTS, measured=("seed",))
def test_dual_write_killed_at_every_point(ctx: ScenarioContext, tmp_path) -> None:
    path = tmp_path / "store.db"

    def check(run):
        snap = files.snapshot(path)
        return compose("cns.dual_write", [checks.integrity(snap), checks.dual_write_equal(snap)])

    explore_crashes(functools.partial(ops.store_runs, ctx.variant, str(path), 1, 2),
                    setup=lambda: ops.prepare(ctx.variant, str(path)), check=check, ctx=ctx)
