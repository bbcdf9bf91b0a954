"""Races for AGT scenarios on harness.races: every interleaving of two workers' steps (bounded
by preemptions, CHESS-style), then seeded hammering with 8 processes.

Workers block on PostgreSQL row locks in the fixed variants (that is the fix);
the scheduler sees it through ``pg_isolation_test_session_is_blocked`` and moves on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from harness.checkers import Check
from harness.races import explore_hammer, explore_schedules, make_detector
from scenarios.agt import agtdb

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
    checks: Sequence[Check],
    max_preemptions: int = MAX_PREEMPTIONS,
) -> int:
    """Every interleaving of the workers' steps, the database snapshotted as ``final``."""
    detector = make_detector("postgres", dsn=dsn)
    try:
        cases = explore_schedules(
            workers,
            checks=checks,
            snapshot=lambda: agtdb.snapshot(dsn),
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
    dsn: str,
    rounds: int,
    step: Callable[..., Any],
    setup: Callable[[], None],
    checks: Sequence[Check],
    ops: int,
    f: str,
) -> None:
    """``rounds`` of PROCESSES processes calling ``step`` ``ops`` times each."""
    explore_hammer(
        ctx,
        step,
        rounds=rounds,
        processes=PROCESSES,
        ops=ops,
        f=f,
        reset=setup,
        snapshot=lambda: agtdb.snapshot(dsn),
        checks=checks,
    )
