"""AGT-1: registration (agent, token consumption, refresh token) is one transaction,
the access token minted after COMMIT.

Invariant: after a crash or a cut link at ANY step, either all three rows exist
and the token is consumed, or none; a token is never consumed twice; of two
concurrent registrations with one token exactly one wins.
"""

from __future__ import annotations

import functools

from harness.checkers import Check
from harness.crash import AFTER_FAULT, AFTER_RECOVERY, through
from harness.scenario import scenario
from scenarios.agt import agtdb, checks, child_ops, fixtures_sql, plans

FIX = "AGT-1"
FAULT_CHECKS = [
    Check("agt.registration_all_or_nothing", stage=AFTER_FAULT),
    Check("agt.single_winner", stage=AFTER_FAULT),
    Check("agt.registration_all_or_nothing", stage=AFTER_RECOVERY),
    Check("agt.single_winner"),
    Check("agt.recovery_completes", process="retry"),
]
RACE_CHECKS = [Check("agt.single_winner"), Check("agt.registration_all_or_nothing", stage="final")]
assert checks  # registers the agt.* checkers


@scenario(FIX, variants=("prefix", "fixed"))
def test_registration_fault_at_every_step(ctx, pg_database_factory, pg_link) -> None:
    """SIGKILL, or a cut database link, at every step of a registration: all rows or none, then a retry completes it."""
    variants = f"{FIX}={ctx.variant}"
    dsn = str(agtdb.fresh(pg_database_factory).dsn)

    def reset() -> dict:
        return agtdb.with_token(dsn, FIX, "secret")

    def register(facts, link):
        return functools.partial(
            child_ops.register_op,
            through(dsn, link),
            variants,
            agtdb.T0.isoformat(),
            facts["token"],
            facts["secret"],
        )

    def recover(steps) -> None:
        """The agent, having had no reply, retries with its token and secret."""
        steps.run("retry", child_ops.here(register(steps.facts, None)))

    plans.every_step(ctx, dsn, pg_link, FAULT_CHECKS, op=register, reset=reset, recover=recover)


@scenario(FIX, variants=("prefix", "fixed"))
def test_concurrent_registrations_one_token(ctx, pg_database_factory) -> None:
    """Two agents, one token: every interleaving of their steps (bounded by preemptions), then
    8 registrants hammering: exactly one wins, no orphan rows."""
    variants = f"{FIX}={ctx.variant}"
    dsn = str(agtdb.fresh(pg_database_factory).dsn)
    now = agtdb.T0.isoformat()
    workers = {
        name: functools.partial(
            child_ops.register_op, dsn, variants, now, fixtures_sql.REG_TOKEN, secret
        )
        for name, secret in fixtures_sql.SECRETS.items()
    }
    race = plans.Race(ctx, dsn, RACE_CHECKS)
    race.schedules(workers, lambda: fixtures_sql.with_registration_token(dsn))
    step = child_ops.RegisterStep(dsn, variants, now, reg_token=fixtures_sql.REG_TOKEN)
    race.hammer(
        step, lambda: fixtures_sql.with_registration_token(dsn), rounds=2, ops=1, f="register_op"
    )
