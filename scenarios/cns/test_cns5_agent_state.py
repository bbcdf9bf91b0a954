"""CNS-5: agent spawn and completion reach SQLite before the in-memory state; a restart
rebuilds the state from the database.

Invariant: SIGKILLed at any point, every status the memory showed (its
listener wrote it to the screen) is in the database, and the state a restart
rebuilds equals the database; with no fault, the database and the screen both
end at what the workload did (a1 completed, a2 spawned).
"""

from __future__ import annotations

import functools

from harness.checkers import Check
from harness.crash import AFTER_FAULT, AFTER_RECOVERY, explore_points
from harness.scenario import ScenarioContext, scenario
from scenarios.cns import data, files, ops

VARIANTS = ("prefix", "seed", "fixed")
#: What ops.agents_lifecycle does: spawns a1 and a2, completes a1.
FINAL = {"a1": "completed", "a2": "spawned"}
CHECKS = [
    Check("cns.integrity", stage=AFTER_FAULT),
    Check("cns.memory_not_ahead", stage=AFTER_FAULT),
    Check("cns.agents_final", stage=AFTER_FAULT),
    Check("cns.rebuilt_equals_db", f="restart", stage=AFTER_RECOVERY),
]


@scenario("CNS-5", variants=VARIANTS, measured=("seed",))
def test_killed_between_database_and_memory(ctx: ScenarioContext, tmp_path) -> None:
    path, screen = tmp_path / "store.db", tmp_path / "shown.log"
    template = tmp_path / "started.db"
    ops.prepare(ctx.variant, str(template))

    def reset() -> dict[str, object]:
        data.reset_to(template, path)
        screen.write_text("")
        return {"agents": FINAL}

    def recover(steps) -> None:
        steps.run(
            "restart", functools.partial(ops.restart_state, ctx.variant, str(path)), f="restart"
        )

    explore_points(
        ctx,
        op=lambda facts, link: functools.partial(
            ops.agents_lifecycle, ctx.variant, str(path), str(screen)
        ),
        reset=reset,
        snapshot=lambda: files.snapshot(path, screen),
        recover=recover,
        checks=CHECKS,
    )
