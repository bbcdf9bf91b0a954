"""QUE-1: idempotent enqueue by client request id.

A retry after a failed first attempt goes through; a duplicate request is
queued once; never zero jobs after a successful response.
"""

from __future__ import annotations

import functools
import itertools

from harness.crash import at_points, discover, run_case
from harness.history import History
from harness.races import ScheduleRun, explore_schedules, hammer
from harness.scenario import ScenarioContext, scenario
from harness.verdict import Verdict, compose
from reference_impl.que import KeyScheme
from scenarios.que import child_ops, linkfaults, ops, wrongtype
from scenarios.que.checks import exactly_once, expect, no_partial_job

VARIANTS = ("prefix", "seed", "fixed")
HAMMER_PROCESSES = 4
HAMMER_OPS = 8
#: Every interleaving of A's and B's steps with at most this many preemptions.
MAX_PREEMPTIONS = 1


def _retry_verdict(case: str, history: History, snap: dict, retry_out: object) -> Verdict:
    return compose(
        case,
        [
            expect(
                "que.retry_returns",
                not isinstance(retry_out, Exception),
                "the retry returned",
                got=repr(retry_out),
            ),
            exactly_once(snap, history),
        ],
    )


@scenario("QUE-1", variants=VARIANTS, measured=("seed",))
def test_retry_after_failed_attempt(ctx: ScenarioContext, que, que_link) -> None:
    """First attempt killed at each crash point, its link cut at each point, or failing
    on a WRONGTYPE command; then a retry with the same request id (and a new job id, as
    a re-sent API call gets)."""
    op = functools.partial(
        child_ops.enqueue, ctx.variant, que.host, que.port, que.db, "job-1", "req-1"
    )
    que.reset()
    points = [p for p in discover(op) if p.startswith("que.enqueue.")]
    for point in points:
        case = f"crash@{point}"
        if not ctx.selected(case):
            continue
        que.reset()
        history = History()
        run = run_case(
            op,
            kill_at=point,
            history=history,
            process="attempt-1",
            record_as=None,
            fail_on=child_ops.FAIL_ON,
        )
        retry = ops.enqueue(history, que.queue(ctx.variant), "job-2", "req-1", process="retry")
        snap = que.snapshot()
        history.snapshot("final", snap)
        ctx.record(
            case,
            _retry_verdict(case, history, snap, retry),
            history=history,
            detail={"crash_point": point, "first_attempt": run.summary()},
        )
    via = (que_link.host, que_link.port)
    for point in points:
        case = f"cut@{point}"
        if not ctx.selected(case):
            continue
        que.reset()
        history = History()
        with at_points({point: linkfaults.action(que_link, "cut", history, point)}):
            ops.enqueue(
                history, que.queue(ctx.variant, via=via), "job-1", "req-1", process="attempt-1"
            )
        linkfaults.heal(que_link, history)
        retry = ops.enqueue(
            history, que.queue(ctx.variant, via=via), "job-2", "req-1", process="retry"
        )
        snap = que.snapshot()
        history.snapshot("final", snap)
        ctx.record(
            case,
            _retry_verdict(case, history, snap, retry),
            history=history,
            detail={"cut_at": point},
        )
    for target in ("queue", "old_job", "new_job"):
        case = f"wrongtype@{target}"
        if not ctx.selected(case):
            continue
        que.reset()
        history = History()
        key = wrongtype.target_key(KeyScheme(), target, "job-1")
        wrongtype.plant(que.admin, history, key)
        ops.enqueue(history, que.queue(ctx.variant), "job-1", "req-1", process="attempt-1")
        wrongtype.repair(que.admin, history, key)
        retry = ops.enqueue(history, que.queue(ctx.variant), "job-2", "req-1", process="retry")
        snap = que.snapshot()
        history.snapshot("final", snap)
        ctx.record(
            case,
            _retry_verdict(case, history, snap, retry),
            history=history,
            detail={"wrongtype_key": key},
        )
    ctx.explored(crash_points=len(points), link_cuts=len(points), points=points, command_errors=3)


def _enqueue_op(ctx: ScenarioContext, que, job_id: str, request: str):
    return functools.partial(
        child_ops.enqueue, ctx.variant, que.host, que.port, que.db, job_id, request
    )


@scenario("QUE-1", variants=VARIANTS, measured=("seed",))
def test_concurrent_duplicates(ctx: ScenarioContext, que) -> None:
    """Two processes send the same request: every interleaving of their steps with at
    most one preemption (harness.races); A paused at each crash point while B runs
    whole, then SIGKILLed at its next point; seeded hammering: 4 processes, 6 request
    ids, one step in 4 killed mid-enqueue."""
    op_a = _enqueue_op(ctx, que, "job-a", "req-1")
    op_b = _enqueue_op(ctx, que, "job-b", "req-1")

    def judge(run: ScheduleRun) -> Verdict:
        snap = que.snapshot()
        run.history.snapshot("final", snap)
        return exactly_once(snap, run.history)

    que.reset()
    points = [p for p in discover(op_a) if p.startswith("que.enqueue.")]
    # Steps bounded by the points after a write or before the atomic one; "start"
    # (nothing sent yet) would only add schedules equal to others.
    bounds = [p for p in points if not p.endswith(".start")]
    interleavings = explore_schedules(
        {"a": op_a, "b": op_b},
        check=judge,
        setup=que.reset,
        max_preemptions=MAX_PREEMPTIONS,
        ctx=ctx,
        points=bounds,
        steps={"a": len(bounds) + 1, "b": len(bounds) + 1},  # the two run the same code
        record_as=None,
        fail_on=child_ops.FAIL_ON,
    )
    kills = list(itertools.pairwise(points))
    for pause, kill in kills:
        case = f"A@{pause}>B>kill A@{kill}"
        if not ctx.selected(case):
            continue
        que.reset()
        history = History()

        def run_b(history: History = history) -> None:
            run_case(op_b, history=history, process="B", record_as=None, fail_on=child_ops.FAIL_ON)

        run = run_case(
            op_a,
            pause_at={pause: run_b},
            kill_at=kill,
            history=history,
            process="A",
            record_as=None,
            fail_on=child_ops.FAIL_ON,
            must_reach=False,  # once B ran, A may take the duplicate path and end before it
        )
        snap = que.snapshot()
        history.snapshot("final", snap)
        ctx.record(
            case,
            compose(case, [exactly_once(snap, history)]),
            history=history,
            detail={"pause_a_at": pause, "kill_a_at": kill, "a": run.summary()},
        )
    case = "hammer"
    if ctx.selected(case):
        que.reset()
        step = child_ops.HammerStep(ctx.variant, que.host, que.port, que.db)
        history = hammer(
            step,
            seed=ctx.seed,
            processes=HAMMER_PROCESSES,
            ops=HAMMER_OPS,
            f="step",
            fail_on=child_ops.FAIL_ON,
        )
        snap = que.snapshot()
        history.snapshot("final", snap)
        verdict = compose(case, [exactly_once(snap, history), no_partial_job(snap)])
        ctx.record(
            case,
            verdict,
            history=history,
            detail={"processes": HAMMER_PROCESSES, "ops": HAMMER_OPS, "requests": 6},
        )
    ctx.explored(
        schedules=len(interleavings),
        max_preemptions=MAX_PREEMPTIONS,
        kill_schedules=len(kills),
        points=points,
        processes=2,
        hammer={"processes": HAMMER_PROCESSES, "ops": HAMMER_OPS, "kill_one_in": 4},
    )


@scenario("QUE-1", variants=VARIANTS, measured=("seed",))
def test_sequential_duplicates(ctx: ScenarioContext, que, que_link) -> None:
    """The same request sent again and again: after a clean first attempt, after a lost
    reply (the server applied the last write), after a refused first attempt (WRONGTYPE)."""
    que.reset()
    points = discover(_enqueue_op(ctx, que, "job-0", "req-0"))
    last_write = [p for p in points if p.startswith("que.enqueue.")][-2]
    via = (que_link.host, que_link.port)
    for case in ("after_success", "after_lost_reply", "after_refused_attempt"):
        if not ctx.selected(case):
            continue
        que.reset()
        history = History()
        key = wrongtype.target_key(KeyScheme(), "queue", "job-1")
        if case == "after_refused_attempt":
            wrongtype.plant(que.admin, history, key)
        actions = {}
        if case == "after_lost_reply":
            actions[last_write] = linkfaults.action(que_link, "lost_reply", history, last_write)
        with at_points(actions):
            ops.enqueue(
                history, que.queue(ctx.variant, via=via), "job-1", "req-1", process="attempt-1"
            )
        linkfaults.heal(que_link, history)
        if case == "after_refused_attempt":
            wrongtype.repair(que.admin, history, key)
        outs = [
            ops.enqueue(
                history, que.queue(ctx.variant), f"job-{n}", "req-1", process=f"attempt-{n}"
            )
            for n in range(2, 5)
        ]
        snap = que.snapshot()
        history.snapshot("final", snap)
        parts = [exactly_once(snap, history)]
        parts += [
            expect(
                f"que.attempt_{n}_returns",
                not isinstance(o, Exception),
                "the duplicate returned",
                got=repr(o),
            )
            for n, o in enumerate(outs, 2)
        ]
        ctx.record(case, compose(case, parts), history=history)
    ctx.explored(duplicates_per_case=3)
