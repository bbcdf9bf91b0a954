"""QUE-6: dual-write attempts counted by outcome, in a real prometheus_client registry."""

from __future__ import annotations

from harness.history import History
from harness.scenario import ScenarioContext, scenario
from harness.verdict import compose
from reference_impl.que import DualWriteMetrics, KeyScheme
from scenarios.que import ops, wrongtype
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
