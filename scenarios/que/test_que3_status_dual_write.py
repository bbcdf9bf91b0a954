"""QUE-3: status update dual-write: old-schema failure raises; new-schema failure is
logged, counted as a failed dual write and raised; the new key only updated if it exists."""

from __future__ import annotations

from harness.checkers import Check
from harness.crash import Cut, Steps, explore_named, explore_points
from harness.scenario import ScenarioContext, scenario
from reference_impl.que import DualWriteMetrics
from scenarios.que import calls, checks, linkfaults, plan, wrongtype
from scenarios.que.calls import FAIL_ON
from scenarios.que.env import QueEnv
from scenarios.que.logs import error_logs

VARIANTS = ("prefix", "seed", "fixed")
#: case -> the write its WRONGTYPE key breaks ("none": a job with no new key yet)
COMMAND_ERRORS = {"wrongtype@old_job": "old", "wrongtype@new_job": "new", "new_key_missing": "none"}
assert checks  # registers the que.* checkers


def behaves(stage: str, fault_on: str | None = None) -> list[Check]:
    """The behaviour FIXES asks for given the broken write (None: read it from the state),
    and the two schemas agreeing afterwards."""
    return [
        Check("que.status_update", stage=stage, fault_on=fault_on),
        Check("que.schemas_agree", stage=stage),
    ]


def update_under(que: QueEnv, variant: str, fault_on: str):
    """A named case: job-1 enqueued (old schema only for "none"), the write ``fault_on``
    broken by a WRONGTYPE key, then its status set by a client that records what it saw."""

    def case(steps: Steps) -> None:
        queue = que.queue(variant, new_schema=fault_on != "none")
        calls.Client(steps, "client", queue).enqueue("job-1", "req-1")
        if fault_on != "none":
            wrongtype.plant(steps, que, wrongtype.target_key(f"{fault_on}_job", "job-1"))
        steps.facts["before"] = que.snapshot()
        metrics = DualWriteMetrics()
        client = calls.Client(steps, "client", que.queue(variant, metrics=metrics))
        with error_logs() as logs:
            client.update_status("job-1", "completed")
        client.observed(metrics, logs)

    return case


@scenario("QUE-3", variants=VARIANTS, measured=("seed",))
def test_status_update_command_errors(ctx: ScenarioContext, que) -> None:
    """WRONGTYPE on the old or the new job hash, and a job with no new key yet."""
    explore_named(
        ctx,
        {case: update_under(que, ctx.variant, on) for case, on in COMMAND_ERRORS.items()},
        **que.per_case,
        checks={case: behaves("final", on) for case, on in COMMAND_ERRORS.items()},
    )


@scenario("QUE-3", variants=VARIANTS, measured=("seed",))
def test_status_update_link_faults(ctx: ScenarioContext, que, que_link) -> None:
    """The link cut, or the reply lost, at each crash point of a status update. Which
    write failed is read from the state: old status unchanged = an old-schema failure
    (must raise); old changed but the call raised = a new-schema failure (must raise,
    be logged and, unless the fault hit the old write's own reply, counted); and the
    two schemas must agree afterwards."""

    def reset() -> dict:
        que.reset()
        calls.enqueue_now(que.queue(ctx.variant), "job-1", "req-1")
        return {"before": que.snapshot()}

    explore_points(
        ctx,
        op=plan.update_op(que, ctx.variant),
        faults=[Cut(que_link), linkfaults.lost_reply(que_link)],
        reset=reset,
        snapshot=que.snapshot,
        checks=behaves("after_fault"),
        process="client",
        fail_on=FAIL_ON,
    )
