"""QUE-6: dual-write attempts counted by outcome, in a real prometheus_client registry."""

from __future__ import annotations

from harness.crash import at_points, discover_in_process
from harness.history import History
from harness.scenario import ScenarioContext, scenario
from harness.verdict import compose
from reference_impl.que import DualWriteMetrics, KeyScheme
from scenarios.que import linkfaults, ops, wrongtype
from scenarios.que.checks import expect
from scenarios.que.metrics_check import counts_match


@scenario("QUE-6", variants=("prefix", "seed", "fixed"), measured=("seed",))
def test_counts_under_command_errors(ctx: ScenarioContext, que) -> None:
    """Successes, WRONGTYPE failures on enqueue and on status update, a duplicate:
    the counters equal what the scenario caused."""
    case = "mixed_workload"
    if not ctx.selected(case):
        return
    history = History()
    metrics = DualWriteMetrics()
    queue = que.queue(ctx.variant, metrics=metrics)
    keys = KeyScheme()
    ops.enqueue(history, queue, "job-1", "req-1")
    ops.enqueue(history, queue, "job-2", "req-2")
    # The job's own new-schema key (not the queue: that would drop the jobs queued so far).
    bad_key = wrongtype.target_key(keys, "new_job", "job-3")
    wrongtype.plant(que.admin, history, bad_key)
    ops.enqueue(history, queue, "job-3", "req-3")
    wrongtype.repair(que.admin, history, bad_key)
    ops.enqueue(history, queue, "job-4", "req-1")  # a duplicate of req-1
    after_enqueues = que.snapshot()
    ops.update_status(history, queue, "job-1", "running")
    new_key = wrongtype.target_key(keys, "new_job", "job-2")
    wrongtype.plant(que.admin, history, new_key)
    ops.update_status(history, queue, "job-2", "running")
    ops.update_status(history, queue, "job-404", "running", workspace_id="")  # invalid input
    snap = que.snapshot()
    history.snapshot("final", snap)
    counted = metrics.counts()
    history.meta["metrics"] = counted
    # Complete dual writes: old hash, new hash and queue entry (a partial job is QUE-2's).
    new_jobs = {f.get("job_id") for f in after_enqueues["new"].values()}
    created = len(
        {j for j in after_enqueues["queue"] if j in after_enqueues["old"] and j in new_jobs}
    )
    verdict = compose(
        case,
        [
            counts_match(history, counted),
            expect(
                "que.succeeded_matches_state",
                counted.get("enqueue/succeeded", 0) == created,
                "enqueue/succeeded equals the complete jobs queued",
                counted=counted.get("enqueue/succeeded", 0),
                queued=created,
            ),
        ],
    )
    ctx.record(case, verdict, history=history, detail={"metrics": counted})
    ctx.explored(operations=len(history.completions()))


@scenario("QUE-6", variants=("prefix", "seed", "fixed"), measured=("seed",))
def test_counts_under_link_faults(ctx: ScenarioContext, que, que_link) -> None:
    """An enqueue with the link cut, or its reply lost, at each crash point: the attempt
    is counted exactly once, as succeeded if it returned, else failed or unknown."""
    que.reset()
    history0 = History()
    queue0 = que.queue(ctx.variant)
    points = discover_in_process(
        lambda: ops.enqueue(history0, queue0, "job-0", "req-0"), "que.enqueue."
    )
    via = (que_link.host, que_link.port)
    for point in points:
        for kind in linkfaults.KINDS:
            case = f"{kind}@{point}"
            if not ctx.selected(case):
                continue
            que.reset()
            history = History()
            metrics = DualWriteMetrics()
            queue = que.queue(ctx.variant, via=via, metrics=metrics)
            with at_points({point: linkfaults.action(que_link, kind, history, point)}):
                ops.enqueue(history, queue, "job-1", "req-1")
            linkfaults.heal(que_link, history)
            counted = metrics.counts()
            history.meta["metrics"] = counted
            history.snapshot("final", que.snapshot())
            ctx.record(
                case,
                compose(case, [counts_match(history, counted)]),
                history=history,
                detail={"fault": kind, "at": point, "metrics": counted},
            )
    ctx.explored(points=points, faults=list(linkfaults.KINDS))
