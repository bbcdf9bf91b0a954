"""AGT-2: delivery locks pending and stuck commands FOR UPDATE SKIP LOCKED and marks them
sent in the same transaction.

Invariant: N concurrent pollers never deliver one command twice within a lease;
no expired command is delivered; a poller killed after its SELECT and before
COMMIT loses nothing (the commands are delivered to the next poll).
"""

from __future__ import annotations

import functools

from harness.history import History, OpType
from harness.scenario import scenario
from harness.verdict import Verdict, compose
from scenarios.agt import agtdb, child_ops, faultcases, fixtures_sql, invariants, racing
from scenarios.agt.faultcases import Env

FIX = "AGT-2"
NOW = agtdb.T0.isoformat()


def _setup(variants: str, commands: int = 3):
    def setup(env: Env) -> None:
        dep = agtdb.deployment(FIX, "fixed")
        agent, _ = agtdb.registered_agent(env.dsn, dep)
        env.data.update(agent=agent, variants=variants)
        env.data["ids"] = agtdb.enqueue(env.dsn, dep, agent, commands)
        # An expired command must never be delivered.
        env.data["expired"] = agtdb.enqueue(
            env.dsn, agtdb.deployment(FIX, "fixed", agtdb.T0.replace(hour=11)), agent, 1, ttl_s=60
        )

    return setup


def _op(env: Env, dsn: str):
    return functools.partial(child_ops.poll_op, dsn, env.data["variants"], NOW, env.data["agent"])


def _delivered(history: History, exclude: tuple[str, ...] = ()) -> list[int]:
    return [
        cid
        for op in history
        if op.type is OpType.OK and op.f == "poll_op" and op.process not in exclude
        for cid in op.value or []
    ]


def _no_expired(env: Env, history: History) -> Verdict:
    bad = sorted(set(_delivered(history)) & set(env.data["expired"]))
    if bad:
        return Verdict.violated(
            "no_expired_delivery", f"expired command(s) {bad} delivered", ids=bad
        )
    return Verdict.ok("no_expired_delivery", "no expired command delivered")


def _check(env: Env, history: History, when: str) -> Verdict:
    """Within the lease: at most once, nothing expired. After recovery: what the fault left
    pending went to the very next poll, and every command reached the agent."""
    parts = [
        invariants.at_most_once_within_lease(_within_lease(history)),
        _no_expired(env, history),
    ]
    if when == "after fault":
        env.data["pending_after_fault"] = [
            c["id"]
            for c in agtdb.snapshot(env.dsn)["commands"]
            if c["status"] == "pending" and c["id"] in env.data["ids"]
        ]
    else:
        retry = set(_delivered(history, exclude=("after_lease",)))
        late = sorted(set(env.data.get("pending_after_fault", [])) - retry)
        never = sorted(set(env.data["ids"]) - set(_delivered(history)))
        parts.append(
            Verdict.violated(
                "pending_delivered_next",
                f"command(s) {late} left pending were not delivered by the next poll",
                missing=late,
            )
            if late
            else Verdict.ok(
                "pending_delivered_next", "what the fault left pending went to the next poll"
            )
        )
        parts.append(
            Verdict.violated(
                "no_lost_command",
                f"command(s) {never} never delivered, even after the lease",
                missing=never,
                rows=agtdb.snapshot(env.dsn)["commands"],
            )
            if never
            else Verdict.ok("no_lost_command", "every command delivered")
        )
    return compose(when, [faultcases.phase(p, when) for p in parts])


def _within_lease(history: History) -> History:
    return History(ops=[op for op in history if op.process != "after_lease"])


def _recover(env: Env, history: History) -> None:
    """The agent polls again within the lease; then once more after it (stuck re-delivery)."""
    faultcases.here(_op(env, env.dsn), history, "retry")
    later = (agtdb.T0 + agtdb.deployment(FIX, "fixed").lease).replace(second=1).isoformat()
    faultcases.here(
        functools.partial(
            child_ops.poll_op, env.dsn, env.data["variants"], later, env.data["agent"]
        ),
        history,
        "after_lease",
    )


@scenario(FIX, variants=("prefix", "fixed"), measured=("prefix",))
def test_poller_fault_at_every_step(ctx, pg_database_factory, pg_link) -> None:
    """A poller killed (or its link cut) at every step loses no command: what stayed pending goes
    to the next poll, what was marked sent goes after the lease.

    Measured on the pre-fix variant: without a transaction its marks are durable at once, which
    is the fixed variant's after-COMMIT case, so a lone crash does not separate them (the
    concurrency scenario does)."""
    faultcases.explore(
        ctx,
        factory=pg_database_factory,
        setup=_setup(f"{FIX}={ctx.variant}"),
        op=_op,
        check=_check,
        recover=_recover,
        link=pg_link,
        skip_points=("agt.poll.after_seen",),
    )


@scenario(FIX, variants=("prefix", "fixed"))
def test_concurrent_pollers(ctx, pg_database_factory) -> None:
    """Two pollers under every interleaving of their steps (bounded by preemptions), then 8 pollers
    hammering: no command delivered twice within a lease, none lost, none expired, no poller
    held up by another's locks."""
    variants = f"{FIX}={ctx.variant}"
    dsn = str(agtdb.fresh(pg_database_factory).dsn)

    def judge(history: History, blocked_steps: int = 0) -> Verdict:
        state = agtdb.snapshot(dsn)
        history.snapshot("final", state)
        expired = [c["id"] for c in state["commands"] if c["expires_at"] is not None]
        delivered = set(_delivered(history))
        bad = sorted(delivered & set(expired))
        return compose(
            "pollers",
            [
                invariants.at_most_once_within_lease(history),
                invariants.none_lost(state, delivered),
                Verdict.violated(
                    "no_expired_delivery", f"expired command(s) {bad} delivered", ids=bad
                )
                if bad
                else Verdict.ok("no_expired_delivery", "no expired command delivered"),
                # SKIP LOCKED's other promise (the seed's 9b): a poller never waits on another.
                Verdict.violated(
                    "non_blocking", f"{blocked_steps} step(s) waited on another poller's locks"
                )
                if blocked_steps
                else Verdict.ok("non_blocking", "no poller waited on another"),
            ],
        )

    def setup() -> None:
        fixtures_sql.with_commands(dsn, pending=3, expired=1)

    workers = {
        name: functools.partial(child_ops.poll_op, dsn, variants, NOW, fixtures_sql.AGENT)
        for name in ("a", "b")
    }
    racing.schedules(
        ctx,
        dsn=dsn,
        workers=workers,
        setup=setup,
        check=lambda run: judge(run.history, run.blocked_steps),
    )

    def setup_many() -> None:
        fixtures_sql.with_commands(dsn, pending=ctx.rng.randint(20, 60), expired=3)

    step = child_ops.PollStep(dsn, variants, NOW, agent_id=fixtures_sql.AGENT)
    racing.hammering(ctx, rounds=3, step=step, setup=setup_many, check=judge, ops=3, f="poll_op")
