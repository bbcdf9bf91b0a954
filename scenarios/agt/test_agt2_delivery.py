"""AGT-2: delivery locks pending and stuck commands FOR UPDATE SKIP LOCKED and marks them
sent in the same transaction.

Invariant: N concurrent pollers never deliver one command twice within a lease;
no expired command is delivered; a poller killed after its SELECT and before
COMMIT loses nothing (the commands are delivered to the next poll).
"""

from __future__ import annotations

import functools

from harness.checkers import Check
from harness.crash import through
from harness.scenario import scenario
from scenarios.agt import agtdb, checks, child_ops, fixtures_sql, plans

FIX = "AGT-2"
NOW = agtdb.T0.isoformat()
#: The agent polls again after the lease: what was marked sent comes back (stuck re-delivery).
AFTER_LEASE = (agtdb.T0 + agtdb.deployment(FIX, "fixed").lease).replace(second=1).isoformat()

#: Within the lease at most once (the poll after it re-delivers by design), nothing expired;
#: what the fault left pending goes to the next poll, and every command reaches the agent.
FAULT_CHECKS = [
    Check("at_most_once", f="poll_op", exclude=["after_lease"]),
    Check("agt.no_expired_delivery", stage="after_recovery"),
    Check("agt.pending_delivered_next"),
    Check("agt.all_delivered"),
]
RACE_CHECKS = [
    Check("at_most_once", f="poll_op"),
    Check("agt.none_lost"),
    Check("agt.no_expired_delivery"),
    Check("agt.non_blocking"),
]
assert checks  # registers the agt.* checkers


def _fault_plan(dsn: str, variants: str):
    def reset() -> dict:
        """Three commands for a registered agent, and one already expired."""
        fixtures_sql.reset(dsn)
        dep = agtdb.deployment(FIX, "fixed")
        agent, _ = agtdb.registered_agent(dsn, dep)
        expired_dep = agtdb.deployment(FIX, "fixed", agtdb.T0.replace(hour=11))
        return {
            "agent": agent,
            "ids": agtdb.enqueue(dsn, dep, agent, 3),
            "expired": agtdb.enqueue(dsn, expired_dep, agent, 1, ttl_s=60),
        }

    def poll(facts, link, now: str = NOW):
        return functools.partial(
            child_ops.poll_op, through(dsn, link), variants, now, facts["agent"]
        )

    def recover(steps) -> None:
        """The agent polls again within the lease; then once more after it."""
        steps.run("retry", child_ops.here(poll(steps.facts, None)))
        steps.run("after_lease", child_ops.here(poll(steps.facts, None, AFTER_LEASE)))

    return {"op": poll, "reset": reset, "recover": recover, "snapshot": lambda: agtdb.snapshot(dsn)}


@scenario(FIX, variants=("prefix", "fixed"), measured=("prefix",))
def test_poller_fault_at_every_step(ctx, pg_database_factory, pg_link) -> None:
    """A poller killed (or its link cut) at every step loses no command: what stayed pending goes
    to the next poll, what was marked sent goes after the lease.

    Measured on the pre-fix variant: without a transaction its marks are durable at once, which
    is the fixed variant's after-COMMIT case, so a lone crash does not separate them (the
    concurrency scenario does)."""
    dsn = str(agtdb.fresh(pg_database_factory).dsn)
    plan = _fault_plan(dsn, f"{FIX}={ctx.variant}")
    plans.every_step(ctx, dsn, pg_link, FAULT_CHECKS, skip_points=("agt.poll.after_seen",), **plan)


@scenario(FIX, variants=("prefix", "fixed"))
def test_concurrent_pollers(ctx, pg_database_factory) -> None:
    """Two pollers under every interleaving of their steps (bounded by preemptions), then 8 pollers
    hammering: no command delivered twice within a lease, none lost, none expired, no poller
    held up by another's locks."""
    variants = f"{FIX}={ctx.variant}"
    dsn = str(agtdb.fresh(pg_database_factory).dsn)
    workers = {
        name: functools.partial(child_ops.poll_op, dsn, variants, NOW, fixtures_sql.AGENT)
        for name in ("a", "b")
    }
    race = plans.Race(ctx, dsn, RACE_CHECKS)
    race.schedules(workers, lambda: fixtures_sql.with_commands(dsn, pending=3, expired=1))
    race.hammer(
        child_ops.PollStep(dsn, variants, NOW, agent_id=fixtures_sql.AGENT),
        lambda: fixtures_sql.with_commands(dsn, pending=ctx.rng.randint(20, 60), expired=3),
        rounds=3,
        ops=3,
        f="poll_op",
    )
