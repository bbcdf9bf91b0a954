"""QUE-5: a job read falls back from the new key to the old one (migration lag)."""

from __future__ import annotations

from harness.checkers import Check
from harness.crash import Steps, explore_named
from harness.scenario import ScenarioContext, scenario
from scenarios.que import calls, checks
from scenarios.que.env import QueEnv

JOBS = ("job-old", "job-new")
FOUND = [Check("que.read_found")]
CASES = {
    "lagged_job": FOUND,
    "lagged_then_updated": FOUND,
    "lagged_across_server_restart": FOUND,
    "read_under_link_cut": [Check("que.read_never_absent")],
}
assert checks  # registers the que.* checkers


def reads_after(case: str, que: QueEnv, variant: str, redis_server, link):
    """A named case: one job enqueued before the flag flipped (old schema only), one after
    (both, reads go new-first); then ``case``'s twist; then each job read through ``link``.
    Fact ``want``: the status each read must see."""

    def run(steps: Steps) -> None:
        calls.Client(steps, "client", que.queue(variant, new_schema=False)).enqueue(JOBS[0], "r1")
        calls.Client(steps, "client", que.queue(variant, new_schema=True)).enqueue(JOBS[1], "r2")
        want = dict.fromkeys(JOBS, "pending")
        if case == "lagged_then_updated":
            for job_id in JOBS:
                calls.Client(steps, "client", que.queue(variant)).update_status(job_id, "completed")
                want[job_id] = "completed"
        if case == "lagged_across_server_restart":
            steps.fault("server_kill", redis_server.kill)
            steps.restart(redis_server)
            que.reset_clients()
        steps.facts["want"] = want
        reader = calls.Client(steps, "reader", que.queue(variant, via=(link.host, link.port)))
        for job_id in JOBS:
            if case == "read_under_link_cut":
                steps.fault("cut", link.cut)
            reader.get_job(job_id)
            if case == "read_under_link_cut":
                steps.fault("heal", link.restore)

    return run


@scenario("QUE-5", variants=("prefix", "seed", "fixed"), measured=("seed",))
def test_read_during_migration_lag(ctx: ScenarioContext, que, redis_server, que_link) -> None:
    """Jobs written before the flag flipped are still found, with their latest status,
    also after the Redis server was killed and restarted in between; a read whose link
    is cut raises rather than answering that there is no such job."""
    explore_named(
        ctx,
        {case: reads_after(case, que, ctx.variant, redis_server, que_link) for case in CASES},
        **que.per_case,
        checks=CASES,
    )
