"""Race detection on the toy: the scheduler beside seeded hammering, 100 seeded runs each.

    .venv/bin/python bench/bench_races.py [--runs 100] [--backend sqlite|postgres]

The toy's racy job claim (SELECT, then UPDATE, not one transaction) lets two
workers claim one job. Each run starts from a fresh queue and is judged by the
``at_most_once`` checker:
- scheduler: Hypothesis draws two-worker schedules from the run's seed until one
  fails (at most --examples), and shrinks it;
- enumeration: every interleaving in order, up to the first failing one;
- hammering: --processes processes x --ops claims each, no pauses, seeded.
Printed: detections out of the runs, time to first detection within a run
(median), and wall time to the first detecting run.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from harness.checkers import check
from harness.races import (
    count_interleavings,
    explore_schedules,
    find_failing_schedule,
    hammer,
)
from harness.verdict import Validity


class Line:
    def __init__(self, name: str) -> None:
        self.name = name
        self.detected = 0
        self.runs = 0
        self.times: list[float] = []
        self.first_wall: float | None = None
        self.t0 = time.perf_counter()
        self.note = ""

    def add(self, detected: bool, seconds: float | None) -> None:
        self.runs += 1
        if detected:
            self.detected += 1
            if seconds is not None:
                self.times.append(seconds)
            if self.first_wall is None:
                self.first_wall = time.perf_counter() - self.t0

    def row(self) -> str:
        med = f"{statistics.median(self.times) * 1000:8.1f} ms" if self.times else "       -   "
        first = f"{self.first_wall:7.2f} s" if self.first_wall is not None else "   never"
        total = time.perf_counter() - self.t0
        return (
            f"  {self.name:<13} {self.detected:>4}/{self.runs:<4} {med}   {first}   "
            f"{total:7.1f} s  {self.note}"
        )


@contextlib.contextmanager
def sqlite_toy() -> Iterator[tuple[Any, Callable[[int], None], Callable[..., Any]]]:
    from tests.toy import sqlite_toy as toy

    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "toy.db")
        toy.reset(db)
        yield toy, functools.partial(_reset_sqlite, toy, db), functools.partial(toy.claim, db)


def _reset_sqlite(toy: Any, db: str, jobs: int) -> None:
    toy.reset(db, jobs)


@contextlib.contextmanager
def postgres_toy(
    dsn: str | None,
) -> Iterator[tuple[Any, Callable[[int], None], Callable[..., Any]]]:
    """The toy in a scratch database: ``--dsn``'s, or one on a server the harness starts."""
    from tests.toy import pg_toy as toy

    with contextlib.ExitStack() as stack:
        if dsn is None:
            from harness.backends import resolve, selected

            settings = resolve({})
            server = selected(settings).postgres(settings)
            server.start()
            stack.callback(server.stop)
            server.create_database("bench_races_toy")
            dsn = server.dsn("bench_races_toy")
        toy.reset(dsn)
        yield toy, functools.partial(_reset_pg, toy, dsn), functools.partial(toy.claim, dsn)


def _reset_pg(toy: Any, dsn: str, jobs: int) -> None:
    toy.reset(dsn, jobs)


def hammering(
    toy: Any,
    reset: Callable[[int], None],
    claim: Any,
    name: str,
    processes: int,
    ops: int,
    runs: int,
) -> Line:
    line = Line(name)
    for seed in range(runs):
        reset(processes * ops)
        t0 = time.perf_counter()
        history = hammer(
            functools.partial(toy.claim_many, claim.args[0], "racy"),
            seed=seed,
            processes=processes,
            ops=ops,
            f="claim",
        )
        hit = check("at_most_once", history, f="claim").validity is Validity.INVALID
        line.add(hit, time.perf_counter() - t0)
    return line


def claimed_once(run: Any) -> Any:
    return check("at_most_once", run.history, f="claim")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--examples", type=int, default=20, help="Hypothesis schedules per run")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--ops", type=int, default=5)
    parser.add_argument("--dsn", help="postgres: a scratch database the toy may overwrite")
    args = parser.parse_args()
    toy_cm = sqlite_toy() if args.backend == "sqlite" else postgres_toy(args.dsn)
    with toy_cm as (toy, reset, claim):
        workers = {"a": functools.partial(claim, "racy"), "b": functools.partial(claim, "racy")}
        one_job = functools.partial(reset, 1)
        steps = {"a": 2, "b": 2}

        sched = Line("scheduler")
        for seed in range(args.runs):
            found = find_failing_schedule(
                workers,
                check=claimed_once,
                setup=one_job,
                steps=steps,
                seed=seed,
                max_examples=args.examples,
            )
            sched.add(found.failing is not None, found.seconds_to_first_failure)
        sched.note = f"(Hypothesis, <= {args.examples} schedules a run, then shrunk)"

        enum = Line("enumeration")
        for _ in range(args.runs):
            t0 = time.perf_counter()
            cases = explore_schedules(
                workers, check=claimed_once, setup=one_job, steps=steps, stop_at_first_failure=True
            )
            hit = cases[-1].verdict.validity is Validity.INVALID
            enum.add(hit, time.perf_counter() - t0)
        enum.note = (
            f"(all {count_interleavings(steps)} interleavings in order, stop at first failure)"
        )

        same = hammering(toy, reset, claim, "hammer 2x1", 2, 1, args.runs)
        same.note = "(the schedule's workload: 2 processes x 1 claim, 1 job)"
        ham = hammering(toy, reset, claim, "hammer", args.processes, args.ops, args.runs)
        ham.note = f"({args.processes} processes x {args.ops} claims, as many jobs)"

    print(
        f"race detection on the {args.backend} toy (racy job claim), {args.runs} seeded runs each"
    )
    print(f"({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    print("  line          detected  median to detect  first detecting run  total")
    for line in (sched, enum, same, ham):
        print(line.row())
    return 0


if __name__ == "__main__":
    sys.exit(main())
