"""AGT-4: refresh-token renewal validates and extends in one transaction; access token after COMMIT.

Invariant: a crash before COMMIT leaves the old token working and a retry
succeeds; concurrent renewals and revocations never leave a token both revoked
and extended.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from harness.history import History
from harness.scenario import scenario
from harness.verdict import Verdict, compose
from scenarios.agt import agtdb, child_ops, faultcases, fixtures_sql, invariants, racing
from scenarios.agt.faultcases import Env

FIX = "AGT-4"
NOW = agtdb.T0.isoformat()


def _setup(variants: str):
    def setup(env: Env) -> None:
        agent, refresh = agtdb.registered_agent(env.dsn, agtdb.deployment(FIX, "fixed"))
        env.data.update(agent=agent, refresh=refresh, variants=variants)

    return setup


def _renew(env: Env, dsn: str):
    return functools.partial(
        child_ops.renew_op, dsn, env.data["variants"], NOW, env.data["agent"], env.data["refresh"]
    )


def _revoke(env: Env, dsn: str):
    return functools.partial(child_ops.revoke_op, dsn, env.data["variants"], NOW, env.data["agent"])


def _check(env: Env, history: History, when: str):
    parts = [invariants.never_revoked_and_extended(agtdb.snapshot(env.dsn))]
    if when == "after recovery":
        parts.append(invariants.last_op_ok(history, "retry"))
    return compose(when, [faultcases.phase(p, when) for p in parts])


def _recover(env: Env, history: History) -> None:
    """The agent retries its renewal with the same refresh token."""
    faultcases.here(_renew(env, env.dsn), history, "retry")


@scenario(FIX, variants=("prefix", "fixed"), measured=("prefix",))
def test_renewal_fault_at_every_step(ctx, pg_database_factory, pg_link) -> None:
    """SIGKILL (or a cut link) at every renewal step: the old token still works, a retry succeeds.

    Measured on the pre-fix variant: its two statements are each durable and harmless alone,
    so the seed's "self-healing" claim holds for it too; its defect is the race below."""
    faultcases.explore(
        ctx,
        factory=pg_database_factory,
        setup=_setup(f"{FIX}={ctx.variant}"),
        op=_renew,
        check=_check,
        recover=_recover,
        link=pg_link,
    )


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

    def judge(history: History) -> Verdict:
        state = agtdb.snapshot(dsn)
        history.snapshot("final", state)
        return invariants.never_revoked_and_extended(state)

    def setup() -> None:
        fixtures_sql.with_agent(dsn)

    racing.schedules(
        ctx,
        dsn=dsn,
        workers=workers,
        setup=setup,
        check=lambda run: judge(run.history),
    )
    step = child_ops.RenewOrRevokeStep(
        dsn, variants, NOW, agent_id=fixtures_sql.AGENT, refresh=fixtures_sql.REFRESH
    )
    racing.hammering(ctx, rounds=3, step=step, setup=setup, check=judge, ops=3, f="renew_or_revoke")
