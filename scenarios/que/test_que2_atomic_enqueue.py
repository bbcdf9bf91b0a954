"""QUE-2: enqueue writes old hash, new hash and queue entry all or nothing."""

from __future__ import annotations

from harness.crash import at_points, discover_in_process
from harness.history import History
from harness.scenario import ScenarioContext, scenario
from harness.verdict import compose
from reference_impl.que import KeyScheme
from scenarios.que import linkfaults, ops, wrongtype
from scenarios.que.checks import no_partial_job, queue_invariants, staged
from scenarios.que.model_run import run_model

TARGETS = ("queue", "old_job", "new_job")


@scenario("QUE-2", variants=("prefix", "seed", "fixed"), measured=("seed",))
def test_command_error_in_transaction(ctx: ScenarioContext, que) -> None:
    """A write failing with WRONGTYPE inside the enqueue: no partial job, before or after the retry."""
    for target in TARGETS:
        case = f"wrongtype@{target}"
        if not ctx.selected(case):
            continue
        que.reset()
        history = History()
        key = wrongtype.target_key(KeyScheme(), target, "job-1")
        wrongtype.plant(que.admin, history, key)
        ops.enqueue(history, que.queue(ctx.variant), "job-1", "req-1")
        after_error = que.snapshot()
        wrongtype.repair(que.admin, history, key)
        ops.enqueue(history, que.queue(ctx.variant), "job-2", "req-1")
        final = que.snapshot()
        history.snapshot("after_error", after_error)
        history.snapshot("final", final)
        verdict = compose(
            case,
            [
                staged("after error", no_partial_job(after_error)),
                staged("after the retry", queue_invariants(final, history)),
            ],
        )
        ctx.record(case, verdict, history=history, detail={"wrongtype_key": key})
    ctx.explored(faults=[f"wrongtype@{t}" for t in TARGETS])


def _first_attempt_points(que, variant: str) -> list[str]:
    """The enqueue's crash points on this variant, found by running it once."""
    que.reset()
    history = History()
    points = discover_in_process(
        lambda: ops.enqueue(history, que.queue(variant), "job-0", "req-0"), "que.enqueue."
    )
    que.reset()
    return points


@scenario("QUE-2", variants=("prefix", "seed", "fixed"), measured=("seed",))
def test_server_restart_mid_enqueue(ctx: ScenarioContext, que, redis_server) -> None:
    """The Redis server SIGKILLed at each step of an enqueue and restarted after it (AOF
    on: what Redis wrote before replying survives a process kill); then a retry with
    the same request id."""
    points = _first_attempt_points(que, ctx.variant)
    for point in points:
        case = f"restart@{point}"
        if not ctx.selected(case):
            continue
        que.reset()
        history = History()

        def kill(history: History = history, point: str = point) -> None:
            history.fault("server_kill", {"at": point})
            redis_server.kill()

        # Down until the attempt has ended: redis-py reconnects a dead pooled
        # connection silently, so a server back at once would hide the kill.
        with at_points({point: kill}):
            ops.enqueue(history, que.queue(ctx.variant), "job-1", "req-1", process="attempt-1")
        history.fault("server_restart")
        redis_server.restart()
        que.reset_clients()
        after_restart = que.snapshot()
        ops.enqueue(history, que.queue(ctx.variant), "job-2", "req-1", process="retry")
        final = que.snapshot()
        history.snapshot("after_restart", after_restart)
        history.snapshot("final", final)
        verdict = compose(
            case,
            [
                staged("after restart", no_partial_job(after_restart)),
                staged("after the retry", queue_invariants(final, history)),
            ],
        )
        ctx.record(case, verdict, history=history, detail={"restart_at": point})
    ctx.explored(restart_points=points)


@scenario("QUE-2", variants=("prefix", "seed", "fixed"), measured=("seed",))
def test_link_cut_around_exec(ctx: ScenarioContext, que, que_link) -> None:
    """At each crash point (for the pipeline: right before EXEC is sent) the link is cut,
    or the reply is lost after the command or EXEC was applied; then a retry."""
    points = _first_attempt_points(que, ctx.variant)
    via = (que_link.host, que_link.port)
    for point in points:
        for kind in linkfaults.KINDS:
            case = f"{kind}@{point}"
            if not ctx.selected(case):
                continue
            que.reset()
            history = History()
            queue = que.queue(ctx.variant, via=via)
            with at_points({point: linkfaults.action(que_link, kind, history, point)}):
                ops.enqueue(history, queue, "job-1", "req-1", process="attempt-1")
            linkfaults.heal(que_link, history)
            after_fault = que.snapshot()
            ops.enqueue(history, que.queue(ctx.variant, via=via), "job-2", "req-1", process="retry")
            final = que.snapshot()
            history.snapshot("after_fault", after_fault)
            history.snapshot("final", final)
            verdict = compose(
                case,
                [
                    staged("after fault", no_partial_job(after_fault)),
                    staged("after the retry", queue_invariants(final, history)),
                ],
            )
            ctx.record(case, verdict, history=history, detail={"fault": kind, "at": point})
    ctx.explored(points=points, faults=list(linkfaults.KINDS))


CLIENT_RETRIES = 3  # redis-py's default count


@scenario("QUE-2", variants=("prefix", "seed", "fixed"), measured=("seed",))
def test_client_transparent_retry(ctx: ScenarioContext, que, que_link) -> None:
    """redis-py's own retry left on (3 re-sends, as by default): every reply is lost
    from a crash point on, so each command or MULTI/EXEC after it is applied and sent
    again. One enqueue call must still leave one whole job, or none."""
    points = _first_attempt_points(que, ctx.variant)
    via = (que_link.host, que_link.port)
    for point in points:
        case = f"lost_replies@{point}"
        if not ctx.selected(case):
            continue
        que.reset()
        history = History()
        queue = que.queue(ctx.variant, via=via, retries=CLIENT_RETRIES)
        with at_points({point: linkfaults.action(que_link, "lost_reply", history, point)}):
            ops.enqueue(history, queue, "job-1", "req-1")
        linkfaults.heal(que_link, history)
        final = que.snapshot()
        history.snapshot("final", final)
        verdict = compose(case, [queue_invariants(final, history)])
        ctx.record(
            case,
            verdict,
            history=history,
            detail={"lost_replies_from": point, "client_retries": CLIENT_RETRIES},
        )
    ctx.explored(points=points, client_retries=CLIENT_RETRIES)


@scenario("QUE-2", variants=("prefix", "seed", "fixed"), measured=("seed",))
def test_stateful_model(ctx: ScenarioContext, que, que_faults) -> None:
    """A Hypothesis rule-based state machine (with QUE-1, QUE-3, QUE-5): random programs
    of enqueue / status update / read with link cuts, lost replies and server kills at
    the crash points, checked against a model after every step."""
    run_model(ctx, que, que_faults)
