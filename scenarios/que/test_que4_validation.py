"""QUE-4: ``workspace_id`` is validated in enqueue and status update, before any write."""

from __future__ import annotations

from typing import Any

from harness.history import History
from harness.scenario import ScenarioContext, scenario
from harness.verdict import compose
from scenarios.que import ops
from scenarios.que.checks import expect

INVALID: dict[str, Any] = {"empty": "", "none": None, "int": 42, "list": ["ws-1"]}


@scenario("QUE-4", variants=("prefix", "seed", "fixed"), measured=("seed",))
def test_invalid_workspace_id(ctx: ScenarioContext, que) -> None:
    """Empty, None or non-string workspace_id: a clear error and nothing written."""
    cases = 0
    for operation in ("enqueue", "update_status"):
        for label, bad in INVALID.items():
            case = f"{operation}/{label}"
            if not ctx.selected(case):
                continue
            cases += 1
            que.reset()
            queue = que.queue(ctx.variant)
            history = History()
            if operation == "update_status":
                ops.enqueue(history, queue, "job-1", "req-1")
            before = que.snapshot()
            out: object
            if operation == "enqueue":
                out = ops.enqueue(history, queue, "job-2", "req-2", workspace_id=bad)
            else:
                out = ops.update_status(history, queue, "job-1", "completed", workspace_id=bad)
            after = que.snapshot()
            history.snapshot("before", before)
            history.snapshot("after", after)
            message = str(out) if isinstance(out, Exception) else ""
            verdict = compose(
                case,
                [
                    expect(
                        "que.clear_error",
                        isinstance(out, ValueError) and "workspace_id" in message,
                        "a ValueError naming workspace_id",
                        got=repr(out),
                    ),
                    expect(
                        "que.nothing_written",
                        before == after,
                        "nothing written",
                        before=before,
                        after=after,
                    ),
                ],
            )
            ctx.record(case, verdict, history=history, detail={"workspace_id": repr(bad)})
    ctx.explored(cases=cases, operations=["enqueue", "update_status"], values=list(INVALID))
