"""AGT-3: re-delivery of a stuck command raises retry_count; past the limit (5) it is failed.

Pre-fix is the seed's own "fixed" code (DEV-029): the filter ``retry_count < 5``
exists, nothing raises the counter, so the command comes back forever.
Invariant: a never-acknowledged command is delivered at most 1 + 5 times, then is terminal.
"""

from __future__ import annotations

import functools
from collections import Counter
from datetime import timedelta

from harness.history import History, OpType
from harness.scenario import scenario
from harness.verdict import Verdict, compose
from reference_impl.agt import poll
from scenarios.agt import agtdb, child_ops, fixtures_sql, invariants, racing
from scenarios.agt.faultcases import Env

FIX = "AGT-3"
ROUNDS = 20  # the bound on "without end"


def _deliveries(
    dsn: str, variant: str, cid: int, agent: str, start_retry: int, history: History
) -> list[int]:
    dep = agtdb.deployment(FIX, variant)
    with agtdb.connect(dsn) as conn:
        conn.execute("UPDATE commands SET retry_count = %s WHERE id = %s", (start_retry, cid))
        counts = []
        for turn in range(ROUNDS):
            op = history.invoke(
                "agent", "poll_op", {"turn": turn, "at": dep.clock.now().isoformat()}
            )
            got = [c.id for c in poll(conn, dep, agent)]
            history.ok(op, got)
            counts.append(got.count(cid))
            dep.clock.advance(dep.lease.total_seconds() + 1)  # type: ignore[attr-defined]
    return counts


@scenario(FIX, variants=("prefix", "fixed"))
def test_unacknowledged_command_is_bounded(ctx, pg_database_factory) -> None:
    """A never-acknowledged command: at most 6 deliveries then failed; a stuck one found at
    retry_count 0 gets 5 more; two pollers re-delivering at once bump the counter once."""
    db = agtdb.fresh(pg_database_factory)
    for case, start, allowed in (
        ("fresh_command", 0, 6),
        ("preexisting_stuck_at_retry_0", 0, 6),
        ("stuck_at_retry_4", 4, 2),
    ):
        if not ctx.selected(case):
            continue
        fixtures_sql.reset(db.dsn)
        env = Env(db, {})
        dep = agtdb.deployment(FIX, "fixed")
        agent, _ = agtdb.registered_agent(env.dsn, dep)
        (cid,) = agtdb.enqueue(env.dsn, dep, agent, 1)
        if (
            case == "preexisting_stuck_at_retry_0"
        ):  # sent long before the migration added the column
            with agtdb.connect(env.dsn) as conn:
                conn.execute(
                    "UPDATE commands SET status = 'sent', sent_at = %s WHERE id = %s",
                    (agtdb.T0 - timedelta(days=3), cid),
                )
            allowed = 5
        history = History()
        counts = _deliveries(env.dsn, ctx.variant, cid, agent, start, history)
        state = agtdb.snapshot(env.dsn)
        history.snapshot("final", state)
        total, status = sum(counts), state["commands"][0]["status"]
        if total <= allowed and status == "failed":
            verdict = Verdict.ok(
                "bounded_redelivery", f"delivered {total} time(s) (limit {allowed}), then failed"
            )
        else:
            verdict = Verdict.violated(
                "bounded_redelivery",
                f"delivered {total} time(s) in {ROUNDS} leases (limit {allowed}); status {status}, retry_count {state['commands'][0]['retry_count']}",
                deliveries_per_lease=counts,
                rows=state["commands"],
            )
        ctx.record(
            case, verdict, history=history, detail={"start_retry_count": start, "rounds": ROUNDS}
        )

    # Two pollers meet on one stuck command, under every interleaving of their steps.
    variants = f"{FIX}={ctx.variant}"
    dsn = str(db.dsn)
    later = (agtdb.T0 + timedelta(minutes=6)).isoformat()

    def setup() -> None:
        fixtures_sql.with_commands(dsn, pending=0, stuck=1, expired=0, stuck_sent_at=agtdb.T0)

    def judge(run) -> Verdict:
        row = agtdb.snapshot(dsn)["commands"][0]
        run.history.snapshot("final", row)
        got = sum(
            1
            for o in run.history
            if o.type is OpType.OK and o.f == "poll_op"
            for c in o.value or []
            if c == row["id"]
        )
        parts = [invariants.at_most_once_within_lease(run.history)]
        parts.append(
            Verdict.ok(
                "counter_counts_redeliveries",
                f"retry_count {row['retry_count']} after {got} re-delivery",
            )
            if row["retry_count"] == got
            else Verdict.violated(
                "counter_counts_redeliveries",
                f"retry_count {row['retry_count']} after {got} re-delivery(ies)",
                row=row,
            )
        )
        return compose("stuck_redelivery", parts)

    workers = {
        name: functools.partial(child_ops.poll_op, dsn, variants, later, fixtures_sql.AGENT)
        for name in ("a", "b")
    }
    count = racing.schedules(ctx, dsn=dsn, workers=workers, setup=setup, check=judge)

    # Eight pollers at once over many stuck commands: each re-delivered once, counted once.
    def setup_many() -> None:
        fixtures_sql.with_commands(
            dsn, pending=0, stuck=ctx.rng.randint(10, 30), expired=0, stuck_sent_at=agtdb.T0
        )

    def judge_many(history: History) -> Verdict:
        rows = agtdb.snapshot(dsn)["commands"]
        history.snapshot("final", rows)
        got = Counter(
            c for o in history if o.type is OpType.OK and o.f == "poll_op" for c in o.value or []
        )
        wrong = [r for r in rows if r["retry_count"] != got[r["id"]]]
        return compose(
            "stuck_redelivery",
            [
                invariants.at_most_once_within_lease(history),
                Verdict.violated(
                    "counter_counts_redeliveries",
                    f"{len(wrong)} command(s) whose retry_count differs from its re-deliveries",
                    rows=wrong,
                )
                if wrong
                else Verdict.ok(
                    "counter_counts_redeliveries",
                    f"{len(rows)} command(s), counters match re-deliveries",
                ),
            ],
        )

    step = child_ops.PollStep(dsn, variants, later, agent_id=fixtures_sql.AGENT)
    racing.hammering(
        ctx, rounds=2, step=step, setup=setup_many, check=judge_many, ops=2, f="poll_op"
    )
    ctx.explored(leases=ROUNDS, schedules=count)
