"""The blocking-detector conformance test, runnable by anyone on their own detectors.

    from harness.races.conformance import check_detector_conformance
    check_detector_conformance("mysql", {"dsn": dsn}, worker=partial(lock_row, dsn),
                               reset=recreate_database)

A detector is only right against a real database, so the caller brings the one thing
the harness cannot know: ``worker``, a zero-argument callable (picklable: it runs in a
child) that takes a lock in the detector's database, passes one crash point
(``harness.crashpoints.crashpoint``) while holding it, then releases it (commits).
Two such workers under the scheduler must show what every detector owes it:

- ``a,b,a,b``: ``b`` waits on ``a``'s lock and is seen blocked (one blocked step),
  wakes when ``a`` commits, and both finish ok;
- ``a,a,b,b``: nobody waits, nobody is called blocked (no false alarm);
- after ``reset()`` (the database dropped and made again under the detector, as the
  harness resets between cases) the same detector still sees the block;
- ``close()`` ends it. Each schedule is bounded by ``step_timeout_s``.

``pg_locker`` and ``sqlite_locker`` are the workers of the built-in detectors.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from harness.crash.runner import Outcome
from harness.crashpoints import crashpoint
from harness.races.blocking import make_detector
from harness.races.scheduler import ScheduleRun, run_schedule

POINT = "conformance.locked"


def pg_locker(dsn: str) -> None:
    """Locks row 1 of ``conformance(id, n)`` (FOR UPDATE), waits at the point, commits."""
    import psycopg

    with psycopg.connect(dsn) as conn, conn.transaction():
        conn.execute("SELECT n FROM conformance WHERE id = 1 FOR UPDATE")
        crashpoint(POINT)
        conn.execute("UPDATE conformance SET n = n + 1 WHERE id = 1")


def sqlite_locker(path: str) -> None:
    """Takes SQLite's write lock (BEGIN IMMEDIATE), waits at the point, commits. The busy
    timeout outlasts any schedule, as ``make_detector("sqlite")`` asks."""
    conn = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        crashpoint(POINT)
        conn.execute("UPDATE conformance SET n = n + 1 WHERE id = 1")
        conn.execute("COMMIT")
    finally:
        conn.close()


def _ok(run: ScheduleRun, schedule: str) -> None:
    assert not run.timed_out, f"{schedule}: a step timed out\n{run.program()}"
    outcomes = {name: r.outcome for name, r in run.results.items()}
    assert outcomes == {"a": Outcome.OK, "b": Outcome.OK}, (
        f"{schedule}: both workers must finish ok, got {outcomes}\n{run.program()}"
    )


def _blocks(run: ScheduleRun) -> None:
    _ok(run, "a,b,a,b")
    assert run.blocked_steps == 1, (
        f"b waits on a's lock once: want exactly 1 blocked step, got {run.blocked_steps}\n"
        f"{run.program()}"
    )


def check_detector_conformance(
    name: str,
    params: Mapping[str, Any],
    *,
    worker: Callable[[], Any],
    reset: Callable[[], object] | None = None,
    step_timeout_s: float = 20.0,
) -> None:
    """Run the conformance test on registered blocking detector ``name``, made with
    ``params`` (``make_detector(name, **params)``), over two copies of ``worker``."""
    workers = {"a": worker, "b": worker}
    detector = make_detector(name, **params)
    try:
        kwargs: dict[str, Any] = {"blocking": detector, "step_timeout_s": step_timeout_s}
        _blocks(run_schedule(workers, "a,b,a,b", **kwargs))
        calm = run_schedule(workers, "a,a,b,b", **kwargs)
        _ok(calm, "a,a,b,b")
        assert calm.blocked_steps == 0, (
            f"no worker waited, yet one was called blocked\n{calm.program()}"
        )
        if reset is not None:
            reset()
            _blocks(run_schedule(workers, "a,b,a,b", **kwargs))
    finally:
        detector.close()
