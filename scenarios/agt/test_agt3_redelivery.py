"""AGT-3: re-delivery of a stuck command raises retry_count; past the limit (5) it is failed.

Pre-fix is the seed's own "fixed" code (DEV-029): the filter ``retry_count < 5``
exists, nothing raises the counter, so the command comes back forever.
Invariant: a never-acknowledged command is delivered at most 1 + 5 times, then is terminal.
"""

from __future__ import annotations

import functools
from datetime import timedelta

from harness.checkers import Check
from harness.crash import explore_named
from harness.scenario import scenario
from reference_impl.agt import poll
from scenarios.agt import agtdb, checks, child_ops, fixtures_sql, plans

FIX = "AGT-3"
ROUNDS = 20  # the bound on "without end"
#: FIXES.md AGT-3: first delivery + 5 re-deliveries, then failed.
LIMIT = 1 + checks.RETRY_LIMIT
RACE_CHECKS = [Check("at_most_once", f="poll_op"), Check("agt.counter_counts_redeliveries")]


def _bounded(dsn: str, variant: str, start_retry: int, stuck_before_migration: bool):
    """One never-acknowledged command, polled once per lease for ROUNDS leases."""

    def run(steps) -> None:
        dep = agtdb.deployment(FIX, variant)
        agent, _ = agtdb.registered_agent(dsn, agtdb.deployment(FIX, "fixed"))
        (cid,) = agtdb.enqueue(dsn, agtdb.deployment(FIX, "fixed"), agent, 1)
        with agtdb.connect(dsn) as conn:
            if stuck_before_migration:  # sent long before the migration added the column
                conn.execute(
                    "UPDATE commands SET status = 'sent', sent_at = %s WHERE id = %s",
                    (agtdb.T0 - timedelta(days=3), cid),
                )
            conn.execute("UPDATE commands SET retry_count = %s WHERE id = %s", (start_retry, cid))
            for _ in range(ROUNDS):
                steps.run("agent", lambda: [c.id for c in poll(conn, dep, agent)], f="poll_op")
                dep.clock.advance(dep.lease.total_seconds() + 1)  # type: ignore[attr-defined]

    return run


@scenario(FIX, variants=("prefix", "fixed"))
def test_unacknowledged_command_is_bounded(ctx, pg_database_factory) -> None:
    """A never-acknowledged command: at most 6 deliveries then failed; a stuck one found at
    retry_count 0 gets 5 more; two pollers re-delivering at once bump the counter once."""
    db = agtdb.fresh(pg_database_factory)
    dsn = str(db.dsn)
    explore_named(
        ctx,
        {
            "fresh_command": _bounded(dsn, ctx.variant, 0, False),
            "preexisting_stuck_at_retry_0": _bounded(dsn, ctx.variant, 0, True),
            "stuck_at_retry_4": _bounded(dsn, ctx.variant, 4, False),
        },
        checks={
            "fresh_command": [Check("agt.bounded_redelivery", allowed=LIMIT)],
            "preexisting_stuck_at_retry_0": [Check("agt.bounded_redelivery", allowed=LIMIT - 1)],
            "stuck_at_retry_4": [Check("agt.bounded_redelivery", allowed=LIMIT - 4)],
        },
        reset=lambda: fixtures_sql.reset(dsn),
        snapshot=lambda: agtdb.snapshot(dsn),
    )

    # Two pollers meet on one stuck command, under every interleaving of their steps.
    variants = f"{FIX}={ctx.variant}"
    later = (agtdb.T0 + timedelta(minutes=6)).isoformat()
    workers = {
        name: functools.partial(child_ops.poll_op, dsn, variants, later, fixtures_sql.AGENT)
        for name in ("a", "b")
    }
    race = plans.Race(ctx, dsn, RACE_CHECKS)
    count = race.schedules(
        workers,
        lambda: fixtures_sql.with_commands(
            dsn, pending=0, stuck=1, expired=0, stuck_sent_at=agtdb.T0
        ),
    )

    # Eight pollers at once over many stuck commands: each re-delivered once, counted once.
    many = ctx.rng.randint  # drawn in each round's setup, as the recorded seed says
    race.hammer(
        child_ops.PollStep(dsn, variants, later, agent_id=fixtures_sql.AGENT),
        lambda: fixtures_sql.with_commands(
            dsn, pending=0, stuck=many(10, 30), expired=0, stuck_sent_at=agtdb.T0
        ),
        rounds=2,
        ops=2,
        f="poll_op",
    )
    ctx.explored(leases=ROUNDS, schedules=count)
