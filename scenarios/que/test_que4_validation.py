"""QUE-4: ``workspace_id`` is validated in enqueue and status update, before any write."""

from __future__ import annotations

from typing import Any

from harness.checkers import Check
from harness.crash import Steps, explore_named
from harness.scenario import ScenarioContext, scenario
from scenarios.que import calls, checks
from scenarios.que.env import QueEnv

INVALID: dict[str, Any] = {"empty": "", "none": None, "int": 42, "list": ["ws-1"]}
OPERATIONS = ("enqueue", "update_status")
assert checks  # registers the que.* checkers


def called_with(que: QueEnv, variant: str, operation: str, bad: Any):
    """A named case: ``operation`` called with workspace_id ``bad`` (a status update on a
    job enqueued first), the state before the call kept as fact ``before``."""

    def case(steps: Steps) -> None:
        client = calls.Client(steps, "client", que.queue(variant))
        if operation == "update_status":
            client.enqueue("job-1", "req-1")
        steps.facts["before"] = que.snapshot()
        if operation == "enqueue":
            client.enqueue("job-2", "req-2", workspace_id=bad)
        else:
            client.update_status("job-1", "completed", workspace_id=bad)

    return case


@scenario("QUE-4", variants=("prefix", "seed", "fixed"), measured=("seed",))
def test_invalid_workspace_id(ctx: ScenarioContext, que) -> None:
    """Empty, None or non-string workspace_id: a clear error and nothing written."""
    cases = {f"{op}/{label}": (op, bad) for op in OPERATIONS for label, bad in INVALID.items()}
    explore_named(
        ctx,
        {name: called_with(que, ctx.variant, op, bad) for name, (op, bad) in cases.items()},
        **que.per_case,
        checks={
            name: [Check("que.refused", f=op), Check("que.nothing_written", stage="final")]
            for name, (op, _) in cases.items()
        },
    )
