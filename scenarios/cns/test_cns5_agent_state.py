"""CNS-5: agent spawn and completion reach SQLite before the in-memory state; a restart
rebuilds the state from the database.

Invariant: SIGKILLed at any point, every status the memory showed is in the
database (the database is never behind what the user saw), and the state a
restart rebuilds equals the database.
"""

from __future__ import annotations

import functools

from harness.crash.explore import explore_crashes
from harness.scenario import ScenarioContext, scenario
from harness.verdict import Verdict, compose
from scenarios.cns import checks, files, ops

VARIANTS = ("prefix", "seed", "fixed")
RANK = {"spawned": 1, "completed": 2, "failed": 2}  # a later status implies the earlier


@scenario("CNS-5", variants=VARIANTS, measured=("seed",))
def test_killed_between_database_and_memory(ctx: ScenarioContext, tmp_path) -> None:
    path, screen = tmp_path / "store.db", tmp_path / "shown.log"

    def setup() -> None:
        ops.prepare(ctx.variant, str(path))
        screen.write_text("")

    def check(run) -> Verdict:
        snap = files.snapshot(path)
        db = snap.get("agents", {})
        shown: dict[str, str] = {}
        for line in screen.read_text().splitlines():
            agent, status = line.split()
            shown[agent] = status
        ahead = {a: s for a, s in shown.items() if RANK[s] > RANK.get(db.get(a, ""), 0)}
        parts = [checks.integrity(snap)]
        parts.append(Verdict.violated("cns.memory_not_ahead",
                                      f"memory showed what the database lacks: {ahead}",
                                      shown=shown, database=db)
                     if ahead else
                     Verdict.ok("cns.memory_not_ahead", f"all {len(shown)} shown in the database"))
        rebuilt = ops.restart_state(ctx.variant, str(path))
        parts.append(Verdict.ok("cns.rebuilt_equals_db", "restart state equals the database")
                     if rebuilt == db else
                     Verdict.violated("cns.rebuilt_equals_db", "restart state differs",
                                      rebuilt=rebuilt, database=db))
        return compose("cns.agent_state", parts)

    explore_crashes(functools.partial(ops.agents_lifecycle, ctx.variant, str(path), str(screen)),
                    setup=setup, check=check, ctx=ctx)
