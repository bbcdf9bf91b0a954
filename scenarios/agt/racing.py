"""Races for AGT scenarios on harness.races: every interleaving of two workers' steps (bounded
by preemptions, CHESS-style), then seeded hammering with 8 processes.

Workers block on PostgreSQL row locks in the fixed variants (that is the fix);
the scheduler sees it through ``pg_isolation_test_session_is_blocked`` and moves on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from harness.history import History
from harness.races import explore_schedules, hammer, make_detector
from harness.races.scheduler import ScheduleRun
from harness.verdict import Verdict

PROCESSES = 8
#: Preemption bound of the schedule search. 1 covers every point of each worker at which
#: the other runs in full (2n schedules) and keeps the AGT gate under a minute on 2 cores;
#: HARNESS_AGT_PREEMPTIONS=2 adds every "both at step i, then both at step j" interleaving
#: (about 5x the schedules; an audit-depth run).
MAX_PREEMPTIONS = int(os.environ.get("HARNESS_AGT_PREEMPTIONS", "1"))


def schedules(
    ctx: Any,
    *,
    dsn: str,
    workers: Mapping[str, Callable[[], Any]],
    setup: Callable[[], None],
    check: Callable[[ScheduleRun], Verdict],
    max_preemptions: int = MAX_PREEMPTIONS,
) -> int:
    detector = make_detector("postgres", dsn=dsn)
    try:
        cases = explore_schedules(
            workers,
            check=check,
            setup=setup,
            max_preemptions=max_preemptions,
            ctx=ctx,
            blocking=detector,
        )
    finally:
        detector.close()
    return len(cases)


def hammering(
    ctx: Any,
    *,
    rounds: int,
    step: Callable[..., Any],
    setup: Callable[[], None],
    check: Callable[[History], Verdict],
    ops: int,
    f: str,
) -> None:
    for r in range(rounds):
        case = f"hammer:{PROCESSES}x{ops}#{r}"
        if not ctx.selected(case):
            continue
        setup()
        seed = ctx.rng.randrange(2**31)
        history = hammer(step, seed=seed, processes=PROCESSES, ops=ops, f=f)
        ctx.record(
            case,
            check(history),
            history=history,
            detail={"seed": seed, "processes": PROCESSES, "ops": ops},
        )
    ctx.explored(hammer_rounds=rounds, processes=PROCESSES)
