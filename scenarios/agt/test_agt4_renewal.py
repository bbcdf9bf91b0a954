"""AGT-4: refresh-token renewal validates and extends in one transaction; access token after COMMIT.

Invariant: a crash before COMMIT leaves the old token working and a retry
succeeds; concurrent renewals and revocations never leave a token both revoked
and extended.
"""

from __future__ import annotations

import functools

from harness.crash.runner import discover, run_case
from harness.history import History
from harness.scenario import scenario
from harness.verdict import compose
from scenarios.agt import agtdb, child_ops, concurrency, faultcases, invariants
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
    run_case(_renew(env, env.dsn), history=history, process="retry")


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
    """A revocation lands at every step of a renewal, then 8 processes renew and revoke at once:
    never a token both revoked and extended."""
    variants = f"{FIX}={ctx.variant}"
    probe = Env(agtdb.fresh(pg_database_factory), {})
    _setup(variants)(probe)
    points = discover(_renew(probe, probe.dsn))
    for point in points:
        case = f"schedule:renew@{point}+revoke"
        if not ctx.selected(case):
            continue
        env = Env(agtdb.fresh(pg_database_factory), {})
        _setup(variants)(env)
        history = History()
        detail = concurrency.interleave(
            env.dsn, _renew(env, env.dsn), _revoke(env, env.dsn), point, history
        )
        state = agtdb.snapshot(env.dsn)
        history.snapshot("final", state)
        ctx.record(
            case, invariants.never_revoked_and_extended(state), history=history, detail=detail
        )
    rounds = 3
    for r in range(rounds):
        case = f"hammer:8x{r}"
        if not ctx.selected(case):
            continue
        env = Env(agtdb.fresh(pg_database_factory), {})
        _setup(variants)(env)
        roles = ["renew"] * 6 + ["revoke"] * 2
        ctx.rng.shuffle(roles)
        history = History()
        concurrency.hammer(
            [_renew(env, env.dsn) if role == "renew" else _revoke(env, env.dsn) for role in roles],
            history,
        )
        state = agtdb.snapshot(env.dsn)
        history.snapshot("final", state)
        ctx.record(
            case,
            invariants.never_revoked_and_extended(state),
            history=history,
            detail={"roles": roles},
        )
    ctx.explored(schedules=len(points), hammer_rounds=rounds, processes=8, points=points)
