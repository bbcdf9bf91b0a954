"""QUE-5: a job read falls back from the new key to the old one (migration lag)."""

from __future__ import annotations

from harness.crash import at_points
from harness.history import History
from harness.scenario import ScenarioContext, scenario
from harness.verdict import compose
from scenarios.que import linkfaults, ops
from scenarios.que.checks import expect


def _read_point(variant: str) -> str:
    """The point right before the read's first command (same on the variants' read paths)."""
    return "que.get_job.before_script" if variant == "fixed" else "que.get_job.start"


@scenario("QUE-5", variants=("prefix", "seed", "fixed"), measured=("seed",))
def test_read_during_migration_lag(ctx: ScenarioContext, que, redis_server, que_link) -> None:
    """Jobs written before the flag flipped are still found, with their latest status,
    also after the Redis server was killed and restarted in between; a read whose link
    is cut raises rather than answering that there is no such job."""
    cases = (
        "lagged_job",
        "lagged_then_updated",
        "lagged_across_server_restart",
        "read_under_link_cut",
    )
    for case in cases:
        if not ctx.selected(case):
            continue
        que.reset()
        history = History()
        # Before the flag flip: old schema only. After: both, and reads go new-first.
        ops.enqueue(history, que.queue(ctx.variant, new_schema=False), "job-old", "req-1")
        ops.enqueue(history, que.queue(ctx.variant, new_schema=True), "job-new", "req-2")
        want = {"job-old": "pending", "job-new": "pending"}
        if case == "lagged_then_updated":
            queue = que.queue(ctx.variant)
            for job_id in want:
                ops.update_status(history, queue, job_id, "completed")
                want[job_id] = "completed"
        if case == "lagged_across_server_restart":
            history.fault("server_restart")
            redis_server.kill()
            redis_server.restart()
            que.reset_clients()
        via = (que_link.host, que_link.port)
        reader = que.queue(ctx.variant, via=via)
        parts = []
        for job_id, status in want.items():
            if case == "read_under_link_cut":
                point = _read_point(ctx.variant)
                with at_points({point: linkfaults.action(que_link, "cut", history, point)}):
                    got = ops.get_job(history, reader, job_id)
                linkfaults.heal(que_link, history)
                parts.append(
                    expect(
                        f"que.read_under_cut.{job_id}",
                        isinstance(got, Exception)
                        or (isinstance(got, dict) and got.get("job_id") == job_id),
                        f"{job_id}: an error or the job, never 'no such job'",
                        got=repr(got),
                    )
                )
                continue
            got = ops.get_job(history, reader, job_id)
            seen = got.get("status") if isinstance(got, dict) else repr(got)
            parts.append(
                expect(
                    f"que.read.{job_id}",
                    isinstance(got, dict) and got.get("job_id") == job_id and seen == status,
                    f"{job_id} found with status {status}",
                    got=seen,
                )
            )
        history.snapshot("final", que.snapshot())
        ctx.record(case, compose(case, parts), history=history)
    ctx.explored(cases=list(cases), faults=["server_restart"])
