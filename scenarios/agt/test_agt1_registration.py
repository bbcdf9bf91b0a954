"""AGT-1: registration (agent, token consumption, refresh token) is one transaction,
the access token minted after COMMIT.

Invariant: after a crash or a cut link at ANY step, either all three rows exist
and the token is consumed, or none; a token is never consumed twice; of two
concurrent registrations with one token exactly one wins.
"""

from __future__ import annotations

import functools

from harness.history import History
from harness.scenario import scenario
from harness.verdict import Verdict, compose
from reference_impl.agt import issue_registration_token, tokens
from scenarios.agt import agtdb, child_ops, faultcases, fixtures_sql, invariants, racing
from scenarios.agt.faultcases import Env

FIX = "AGT-1"


def _setup(variants: str):
    def setup(env: Env) -> None:
        dep = agtdb.deployment(FIX, "fixed")
        with agtdb.connect(env.dsn) as conn:
            env.data["token"] = issue_registration_token(conn, dep)
        env.data["secret"] = tokens.new_token("agent_secret")
        env.data["variants"] = variants

    return setup


def _op(env: Env, dsn: str):
    return functools.partial(
        child_ops.register_op,
        dsn,
        env.data["variants"],
        agtdb.T0.isoformat(),
        env.data["token"],
        env.data["secret"],
    )


def _check(env: Env, history: History, when: str):
    state = agtdb.snapshot(env.dsn)
    parts = [
        faultcases.phase(invariants.registration_all_or_nothing(state), when),
        faultcases.phase(invariants.single_winner(history), when),
    ]
    if when == "after recovery":
        parts.append(faultcases.phase(invariants.last_op_ok(history, "retry"), when))
    return compose(when, parts)


def _recover(env: Env, history: History) -> None:
    """The agent, having had no reply, retries with its token and secret."""
    faultcases.here(_op(env, env.dsn), history, "retry")


@scenario(FIX, variants=("prefix", "fixed"))
def test_registration_fault_at_every_step(ctx, pg_database_factory, pg_link) -> None:
    """SIGKILL, or a cut database link, at every step of a registration: all rows or none, then a retry completes it."""
    variants = f"{FIX}={ctx.variant}"
    faultcases.explore(
        ctx,
        factory=pg_database_factory,
        setup=_setup(variants),
        op=_op,
        check=_check,
        recover=_recover,
        link=pg_link,
    )


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

    def judge(history: History) -> Verdict:
        state = agtdb.snapshot(dsn)
        history.snapshot("final", state)
        return compose(
            "one_token",
            [invariants.single_winner(history), invariants.registration_all_or_nothing(state)],
        )

    def setup() -> None:
        fixtures_sql.with_registration_token(dsn)

    racing.schedules(
        ctx,
        dsn=dsn,
        workers=workers,
        setup=setup,
        check=lambda run: judge(run.history),
    )
    step = child_ops.RegisterStep(dsn, variants, now, reg_token=fixtures_sql.REG_TOKEN)
    racing.hammering(ctx, rounds=2, step=step, setup=setup, check=judge, ops=1, f="register_op")
