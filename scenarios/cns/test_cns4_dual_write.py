"""CNS-4: dual-write to the old and new schema in one transaction, read-compare validated.

Invariant: the writer SIGKILLed at any point while storing a consensus run (into
a store that holds runs sharing its spec and stage) leaves 0 mismatches between
old and new rows (compared from the file, apart from the store's own
validator), each run carrying its own synthesis and outcome; with no fault the
run is stored whole in both. After the restart the store's validator finds what
the file holds, and on a copy with one mismatch of each kind written into it,
exactly those.
"""

from __future__ import annotations

from harness.checkers import Check
from harness.crash import AFTER_FAULT
from harness.scenario import ScenarioContext, scenario
from scenarios.cns import ops, plans

VARIANTS = ("prefix", "seed", "fixed")
CHECKS = [
    Check("cns.integrity", stage=AFTER_FAULT),
    Check("cns.dual_write_equal", stage=AFTER_FAULT),
    Check("cns.runs_carry_synthesis", stage=AFTER_FAULT, outcome=True),
    Check("cns.run_stored", stage=AFTER_FAULT),
    Check("cns.validator_agrees", f="validate"),
]


@scenario("CNS-4", variants=VARIANTS, measured=("seed",))
def test_dual_write_killed_at_every_point(ctx: ScenarioContext, tmp_path) -> None:
    plans.storing_one_run(
        ctx,
        tmp_path,
        CHECKS,
        recover=plans.steps_after(ctx.variant, ("validate", ops.validate_twice)),
    )
