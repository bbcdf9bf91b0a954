"""QUE-1: idempotent enqueue by client request id.

A retry after a failed first attempt goes through; a duplicate request is
queued once; never zero jobs after a successful response.
"""

from __future__ import annotations

import itertools

from harness.checkers import Check
from harness.crash import Cut, Kill, Meanwhile, Steps, discover, explore_named, explore_points
from harness.races import explore_hammer, explore_schedules
from harness.scenario import ScenarioContext, scenario
from scenarios.que import calls, checks, child_ops, linkfaults, plan, wrongtype
from scenarios.que.calls import FAIL_ON

VARIANTS = ("prefix", "seed", "fixed")
#: Every interleaving of A's and B's steps with at most this many preemptions.
MAX_PREEMPTIONS = 1
HAMMER_PROCESSES = 4
HAMMER_OPS = 8
DUPLICATES = ("attempt-2", "attempt-3", "attempt-4")
assert checks  # registers the que.* checkers


def retried(stage: str, retries: tuple[str, ...] = ("retry",)) -> list[Check]:
    """Exactly one job for the request, and every retry returned."""
    return [Check("que.exactly_once", stage=stage)] + [
        Check("que.returned", process=p) for p in retries
    ]


@scenario("QUE-1", variants=VARIANTS, measured=("seed",))
def test_retry_after_failed_attempt(ctx: ScenarioContext, que, que_link) -> None:
    """First attempt killed at each crash point, its link cut at each point, or failing
    on a WRONGTYPE command; then a retry with the same request id (and a new job id, as
    a re-sent API call gets)."""
    explore_points(
        ctx,
        op=plan.enqueue_op(que, ctx.variant),
        faults=[Kill(), Cut(que_link)],
        **que.per_case,
        recover=plan.send_again(que, ctx.variant, ("retry",)),
        checks=retried("after_recovery"),
        process="attempt-1",
        fail_on=FAIL_ON,
    )
    explore_named(
        ctx, wrongtype.refusals(que, ctx.variant), checks=retried("final"), **que.per_case
    )


@scenario("QUE-1", variants=VARIANTS, measured=("seed",))
def test_concurrent_duplicates(ctx: ScenarioContext, que) -> None:
    """Two processes send the same request: every interleaving of their steps with at
    most one preemption (harness.races); A paused at each crash point while B runs
    whole, then SIGKILLed at its next point; seeded hammering: 4 processes, 6 request
    ids, one step in 4 killed mid-enqueue."""
    once = [Check("que.exactly_once", stage="final")]
    op_a = plan.enqueue_op(que, ctx.variant, "job-a")(None, None)
    que.reset()
    points = discover(op_a)
    # Steps bounded by the points after a write or before the atomic one; "start"
    # (nothing sent yet) would only add schedules equal to others.
    bounds = [p for p in points if not p.endswith(".start")]
    explore_schedules(
        {"a": op_a, "b": plan.enqueue_op(que, ctx.variant, "job-b")(None, None)},
        checks=once,
        snapshot=que.snapshot,
        setup=que.reset,
        max_preemptions=MAX_PREEMPTIONS,
        ctx=ctx,
        points=bounds,
        steps={"a": len(bounds) + 1, "b": len(bounds) + 1},  # the two run the same code
        record_as=None,
        fail_on=FAIL_ON,
    )

    def b_whole(steps: Steps) -> None:
        calls.Client(steps, "B", que.queue(ctx.variant)).enqueue("job-b", "req-1")

    kills = dict(itertools.pairwise(points))
    explore_points(
        ctx,
        op=lambda facts, link: op_a,
        faults=[Meanwhile(b_whole, kill_at=kills, name="B_then_kill_A")],
        points=list(kills),
        baseline=False,
        **que.per_case,
        checks=[Check("que.exactly_once", stage="after_fault")],
        process="A",
        fail_on=FAIL_ON,
    )
    explore_hammer(
        ctx,
        child_ops.HammerStep(ctx.variant, que.host, que.port, que.db),
        rounds=1,
        processes=HAMMER_PROCESSES,
        ops=HAMMER_OPS,
        f="step",
        **que.per_case,
        checks=[*once, Check("que.no_partial_job", stage="final")],
        fail_on=FAIL_ON,
    )


@scenario("QUE-1", variants=VARIANTS, measured=("seed",))
def test_sequential_duplicates(ctx: ScenarioContext, que, que_link) -> None:
    """The same request sent again and again: after a clean first attempt (the no-fault
    case), after a lost reply at each point (the server applied the write), after a
    refused first attempt (WRONGTYPE)."""
    explore_points(
        ctx,
        op=plan.enqueue_op(que, ctx.variant),
        faults=[linkfaults.lost_reply(que_link)],
        **que.per_case,
        recover=plan.send_again(que, ctx.variant, DUPLICATES),
        checks=retried("after_recovery", DUPLICATES),
        process="attempt-1",
        fail_on=FAIL_ON,
    )
    refused = wrongtype.refused_then_retried(que, ctx.variant, "queue", DUPLICATES)
    explore_named(
        ctx,
        {"after_refused_attempt": refused},
        checks=retried("final", DUPLICATES),
        **que.per_case,
    )
