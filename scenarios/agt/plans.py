"""The AGT scenarios' plans on the engine: a fault at every step (``every_step``), and races
(``Race``): every interleaving of two workers' steps (bounded by preemptions,
CHESS-style), then seeded hammering with 8 processes.

Workers block on PostgreSQL row locks in the fixed variants (that is the fix);
the scheduler sees it through ``pg_isolation_test_session_is_blocked`` and moves on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.checkers import Check
from harness.crash import Cut, Kill, explore_points
from harness.races import explore_hammer, explore_schedules, make_detector
from scenarios.agt import agtdb

PROCESSES = 8
#: Preemption bound of the schedule search. 1 covers every point of each worker at which
#: the other runs in full (2n schedules) and keeps the AGT gate under a minute on 2 cores;
#: HARNESS_AGT_PREEMPTIONS=2 adds every "both at step i, then both at step j" interleaving
#: (about 5x the schedules; an audit-depth run).
MAX_PREEMPTIONS = int(os.environ.get("HARNESS_AGT_PREEMPTIONS", "1"))


@dataclass(frozen=True)
class Race:
    """Races of one scenario on one database: every interleaving of two workers' steps,
    then hammering; each case judged by ``checks`` on its record (snapshot ``final``)."""

    ctx: Any
    dsn: str
    checks: Sequence[Check]

    def schedules(
        self,
        workers: Mapping[str, Callable[[], Any]],
        setup: Callable[[], object],
        max_preemptions: int = MAX_PREEMPTIONS,
    ) -> int:
        detector = make_detector("postgres", dsn=self.dsn)
        try:
            cases = explore_schedules(
                workers,
                checks=self.checks,
                snapshot=lambda: agtdb.snapshot(self.dsn),
                setup=setup,
                max_preemptions=max_preemptions,
                ctx=self.ctx,
                blocking=detector,
            )
        finally:
            detector.close()
        return len(cases)

    def hammer(
        self,
        step: Callable[..., Any],
        setup: Callable[[], object],
        *,
        rounds: int,
        ops: int,
        f: str,
    ) -> None:
        """``rounds`` of PROCESSES processes calling ``step`` ``ops`` times each."""
        explore_hammer(
            self.ctx,
            step,
            rounds=rounds,
            processes=PROCESSES,
            ops=ops,
            f=f,
            reset=setup,
            snapshot=lambda: agtdb.snapshot(self.dsn),
            checks=self.checks,
        )


def every_step(ctx: Any, dsn: str, link: Any, checks: Sequence[Check], **plan: Any) -> None:
    """A SIGKILL and a cut of the database ``link`` at every point of ``plan["op"]``
    (``explore_points``), the database snapshotted after the fault and after recovery."""
    plan.setdefault("snapshot", lambda: agtdb.snapshot(dsn))
    explore_points(ctx, faults=[Kill(), Cut(link)], checks=checks, **plan)
