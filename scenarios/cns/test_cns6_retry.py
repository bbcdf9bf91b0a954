"""CNS-6: retry with classification, against a competing writer process.

The store's writer gets SQLITE_BUSY at once (busy timeout 0, so contention
reaches the retry helper); a second process holds the write lock for as many
steps as the schedule says. Invariant: every retryable write eventually
succeeds, each wait on the stated schedule (100, 200, 400, 800, 1600 ms, +/-20 %,
on an injected clock: nothing sleeps; the jitter at both ends of its range),
and the helper gives up after exactly five retries when the lock is held
longer; SQLITE_BUSY_SNAPSHOT (a DEFERRED transaction whose snapshot a competing
commit replaced) is cured by restarting the whole transaction; a permanent
error (a constraint, the store's own refusal) takes exactly one attempt.
"""

from __future__ import annotations

import functools

from harness.checkers import Check
from harness.scenario import ScenarioContext, scenario
from scenarios.cns import ops, plans

VARIANTS = ("prefix", "seed", "fixed")
F = "spawn_with_retry"
#: The permanent errors of ops.spawn_with_retry: the same agent id again (SQLite's name for
#: a primary key conflict), completing an agent never spawned (the store's refusal).
PERMANENT = {"duplicate": "SQLITE_CONSTRAINT_PRIMARYKEY", "refusal": "InvalidArgument"}


def _busy(ctx: ScenarioContext, tmp_path, checks: list[Check], schedule: str, **kw) -> None:
    """``a`` opens its store; ``b`` takes the lock and holds it; ``a`` is refused once a step
    (up to its backoff point); then ``b`` commits and ``a`` gets through (or gives up)."""
    path = str(tmp_path / "store.db")
    workers = {
        "a": functools.partial(ops.spawn_with_retry, ctx.variant, path, ctx.seed, **kw),
        "b": functools.partial(ops.competitor, path),
    }
    plans.against(ctx, path, workers, checks, [schedule])


@scenario("CNS-6", variants=VARIANTS, measured=("seed",))
def test_busy_writer_recovers(ctx: ScenarioContext, tmp_path) -> None:
    """Refused three times, then through; the permanent errors take one attempt each."""
    checks = [
        Check("cns.ops_ok", f=F),
        Check("cns.retry_schedule", f=F, min_retries=3, schedule=False),
        Check("cns.one_attempt", f=F, errors=PERMANENT),
    ]
    _busy(ctx, tmp_path, checks, "a,b,a,a,a,b")


@scenario("CNS-6", variants=VARIANTS, measured=("seed",))
def test_busy_waits_on_the_schedule(ctx: ScenarioContext, tmp_path) -> None:
    """Refused five times: through at the sixth attempt, the waits 100, 200, 400, 800,
    1600 ms (+/-20 %, the jitter at its lowest and highest in turn), each slept; a stale
    snapshot restarted at once. Refused six times: given up after the sixth attempt."""
    through = [
        Check("cns.retry_schedule", f=F, min_retries=5, attempts=6),
        Check("cns.restarted_at_once", f=F),
        Check("cns.one_attempt", f=F, errors=PERMANENT),
    ]
    _busy(ctx, tmp_path, through, "a,b,a,a,a,a,a,b", extremes=True)
    given_up = [Check("cns.retry_schedule", f=F, outcome="RetriesExhausted", attempts=6)]
    _busy(ctx, tmp_path, given_up, "a,b,a,a,a,a,a,a", extremes=True)


@scenario("CNS-6", variants=VARIANTS, measured=("seed",))
def test_busy_snapshot_restarts_the_transaction(ctx: ScenarioContext, tmp_path) -> None:
    """``a`` opens its store, reads in a DEFERRED transaction and stops; ``b`` writes and
    commits; ``a`` writes."""
    path = str(tmp_path / "store.db")
    workers = {
        "a": functools.partial(ops.upsert_deferred, ctx.variant, path, ctx.seed),
        "b": functools.partial(ops.competitor, path),
    }
    plans.against(ctx, path, workers, [Check("cns.ops_ok", f="upsert_deferred")], ["a,a,b,b,a"])
