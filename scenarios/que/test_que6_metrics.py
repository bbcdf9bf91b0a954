"""QUE-6: dual-write attempts counted by outcome, in a real prometheus_client registry."""

from __future__ import annotations

from harness.checkers import Check
from harness.crash import Cut, Steps, explore_named, explore_points
from harness.scenario import ScenarioContext, scenario
from reference_impl.que import DualWriteMetrics
from scenarios.que import calls, checks, linkfaults, plan, wrongtype
from scenarios.que.calls import FAIL_ON
from scenarios.que.env import QueEnv

VARIANTS = ("prefix", "seed", "fixed")
COUNTED = Check("que.metric_counts")
assert checks  # registers the que.* checkers


def mixed_workload(que: QueEnv, variant: str):
    """Successes, a WRONGTYPE failure on enqueue and on status update, a duplicate, a bad
    input, all from one client whose counters are recorded at the end; the stores are
    snapshotted once the enqueues are done (``after_enqueues``)."""

    def case(steps: Steps) -> None:
        metrics = DualWriteMetrics()
        client = calls.Client(steps, "client", que.queue(variant, metrics=metrics))
        client.enqueue("job-1", "req-1")
        client.enqueue("job-2", "req-2")
        # The job's own new-schema key (not the queue: that would drop the jobs queued so far).
        bad_key = wrongtype.target_key("new_job", "job-3")
        wrongtype.plant(steps, que, bad_key)
        client.enqueue("job-3", "req-3")
        wrongtype.repair(steps, que, bad_key)
        client.enqueue("job-4", "req-1")  # a duplicate of req-1
        steps.history.snapshot("after_enqueues", que.snapshot())
        client.update_status("job-1", "running")
        wrongtype.plant(steps, que, wrongtype.target_key("new_job", "job-2"))
        client.update_status("job-2", "running")
        client.update_status("job-404", "running", workspace_id="")
        client.observed(metrics)

    return case


@scenario("QUE-6", variants=VARIANTS, measured=("seed",))
def test_counts_under_command_errors(ctx: ScenarioContext, que) -> None:
    """Successes, WRONGTYPE failures on enqueue and on status update, a duplicate:
    the counters equal what the scenario caused."""
    explore_named(
        ctx,
        {"mixed_workload": mixed_workload(que, ctx.variant)},
        **que.per_case,
        checks=[COUNTED, Check("que.succeeded_matches_state", stage="after_enqueues")],
    )


@scenario("QUE-6", variants=VARIANTS, measured=("seed",))
def test_counts_under_link_faults(ctx: ScenarioContext, que, que_link) -> None:
    """An enqueue with the link cut, or its reply lost, at each crash point: the attempt
    is counted exactly once, as succeeded if it returned, else failed or unknown."""
    explore_points(
        ctx,
        op=plan.enqueue_op(que, ctx.variant, observe=True),
        faults=[Cut(que_link), linkfaults.lost_reply(que_link)],
        **que.per_case,
        checks=[COUNTED],
        process="client",
        fail_on=FAIL_ON,
    )
