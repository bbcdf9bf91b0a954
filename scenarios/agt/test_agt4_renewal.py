"""AGT-4: refresh-token renewal validates and extends in one transaction; access token after COMMIT.

Invariant: a crash before COMMIT leaves the old token working and a retry
succeeds; concurrent renewals and revocations never leave a token both revoked
and extended.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from harness.checkers import Check
from harness.crash import AFTER_FAULT, AFTER_RECOVERY, through
from harness.scenario import scenario
from scenarios.agt import agtdb, checks, child_ops, fixtures_sql, plans

FIX = "AGT-4"
NOW = agtdb.T0.isoformat()
FAULT_CHECKS = [
    Check("agt.never_revoked_and_extended", stage=AFTER_FAULT),
    Check("agt.never_revoked_and_extended", stage=AFTER_RECOVERY),
    Check("agt.recovery_completes", process="retry"),
]
RACE_CHECKS = [Check("agt.never_revoked_and_extended", stage="final")]
assert checks  # registers the agt.* checkers


@scenario(FIX, variants=("prefix", "fixed"), measured=("prefix",))
def test_renewal_fault_at_every_step(ctx, pg_database_factory, pg_link) -> None:
    """SIGKILL (or a cut link) at every renewal step: the old token still works, a retry succeeds.

    Measured on the pre-fix variant: its two statements are each durable and harmless alone,
    so the seed's "self-healing" claim holds for it too; its defect is the race below."""
    variants = f"{FIX}={ctx.variant}"
    dsn = str(agtdb.fresh(pg_database_factory).dsn)

    def reset() -> dict:
        fixtures_sql.reset(dsn)
        agent, refresh = agtdb.registered_agent(dsn, agtdb.deployment(FIX, "fixed"))
        return {"agent": agent, "refresh": refresh}

    def renew(facts, link):
        return functools.partial(
            child_ops.renew_op, through(dsn, link), variants, NOW, facts["agent"], facts["refresh"]
        )

    def recover(steps) -> None:
        """The agent retries its renewal with the same refresh token."""
        steps.run("retry", child_ops.here(renew(steps.facts, None)))

    plans.every_step(ctx, dsn, pg_link, FAULT_CHECKS, op=renew, reset=reset, recover=recover)


@scenario(FIX, variants=("prefix", "fixed"))
def test_renewal_races_revocation(ctx, pg_database_factory) -> None:
    """A renewal and a revocation under every interleaving of their steps (bounded by preemptions),
    then 8 processes renewing and revoking at once: never a token both revoked and extended."""
    variants = f"{FIX}={ctx.variant}"
    dsn = str(agtdb.fresh(pg_database_factory).dsn)
    workers: dict[str, Callable[[], Any]] = {
        "renew": functools.partial(
            child_ops.renew_op, dsn, variants, NOW, fixtures_sql.AGENT, fixtures_sql.REFRESH
        ),
        "revoke": functools.partial(child_ops.revoke_op, dsn, variants, NOW, fixtures_sql.AGENT),
    }
    race = plans.Race(ctx, dsn, RACE_CHECKS)
    race.schedules(workers, lambda: fixtures_sql.with_agent(dsn))
    step = child_ops.RenewOrRevokeStep(
        dsn, variants, NOW, agent_id=fixtures_sql.AGENT, refresh=fixtures_sql.REFRESH
    )
    race.hammer(step, lambda: fixtures_sql.with_agent(dsn), rounds=3, ops=3, f="renew_or_revoke")
