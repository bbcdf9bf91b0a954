"""CNS-6: retry with classification, against a competing writer process.

The store's writer gets SQLITE_BUSY at once (busy timeout 0, so contention
reaches the retry helper); a second process holds the write lock for as many
steps as the schedule says. Invariant: every retryable write eventually
succeeds, each wait on the stated schedule (100, 200, 400 ms ... +/-20 %, on an
injected clock: nothing sleeps); SQLITE_BUSY_SNAPSHOT (a DEFERRED transaction
whose snapshot a competing commit replaced) is cured by restarting the whole
transaction; a permanent error (a constraint) takes exactly one attempt.
"""

from __future__ import annotations

import functools

from harness.checkers import Check
from harness.races import explore_schedules, make_detector
from harness.scenario import ScenarioContext, scenario
from scenarios.cns import files, ops

VARIANTS = ("prefix", "seed", "fixed")
#: The points that bound the workers' steps (the prefix's start-up passes others).
#: A point passed again is numbered (``name#2``, ...): each pass bounds a step.
STEP_POINTS = [
    *(
        f"{p}{n}"
        for p in ("cns.upsert.after_read", "cns.retry.before_backoff")
        for n in ("", "#2", "#3", "#4", "#5", "#6")
    ),
    "cns.competitor.holding",
    "cns.open.ready",
]


def _busy(ctx: ScenarioContext, tmp_path, checks: list[Check]) -> None:
    """``a`` opens its store; ``b`` takes the lock and holds it; ``a`` is refused three times (a step each, up to its
    backoff point); then ``b`` commits and ``a`` gets through. Then ``a`` spawns the same agent
    again: a constraint, one attempt."""
    path = str(tmp_path / "store.db")
    explore_schedules(
        {
            "a": functools.partial(ops.spawn_with_retry, ctx.variant, path, ctx.seed),
            "b": functools.partial(ops.competitor, path),
        },
        checks=checks,
        snapshot=lambda: files.snapshot(tmp_path / "store.db"),
        schedules=["a,b,a,a,a,b"],
        setup=lambda: ops.prepare(ctx.variant, path),
        blocking=make_detector("sqlite"),
        points=STEP_POINTS,
        ctx=ctx,
    )


@scenario("CNS-6", variants=VARIANTS, measured=("seed",))
def test_busy_writer_recovers(ctx: ScenarioContext, tmp_path) -> None:
    """Every retryable write succeeds; the permanent error takes one attempt."""
    _busy(
        ctx,
        tmp_path,
        [
            Check("cns.ops_ok", f="spawn_with_retry"),
            Check("cns.retry_schedule", f="spawn_with_retry", min_retries=3, schedule=False),
            Check("cns.one_attempt", f="spawn_with_retry"),
        ],
    )


@scenario("CNS-6", variants=VARIANTS, measured=("seed",))
def test_busy_waits_on_the_schedule(ctx: ScenarioContext, tmp_path) -> None:
    """Each wait is the stated schedule's: 100, 200, 400 ms, +/-20 %."""
    _busy(ctx, tmp_path, [Check("cns.retry_schedule", f="spawn_with_retry", min_retries=3)])


@scenario("CNS-6", variants=VARIANTS, measured=("seed",))
def test_busy_snapshot_restarts_the_transaction(ctx: ScenarioContext, tmp_path) -> None:
    """``a`` opens its store, reads in a DEFERRED transaction and stops; ``b`` writes and
    commits; ``a`` writes."""
    path = str(tmp_path / "store.db")
    explore_schedules(
        {
            "a": functools.partial(ops.upsert_deferred, ctx.variant, path, ctx.seed),
            "b": functools.partial(ops.competitor, path),
        },
        checks=[Check("cns.ops_ok", f="upsert_deferred")],
        snapshot=lambda: files.snapshot(tmp_path / "store.db"),
        schedules=["a,a,b,b,a"],
        setup=lambda: ops.prepare(ctx.variant, path),
        blocking=make_detector("sqlite"),
        points=STEP_POINTS,
        ctx=ctx,
    )
