"""QUE-4 oracles: which inputs enqueue and status update refuse, and which they accept
(issue 13: both sides of the rule, every store looked at).

From the fix's statement (workspace_id validated in enqueue and status update;
empty, None or non-string: a clear error and nothing written), plus the inputs
the same check guards (an empty job id, a status outside the job's states):
each refused with InvalidInput and no key written or changed. Accepted: a
valid workspace, whose new-schema key carries it; a status update without a
workspace while the migration flag is off (old schema only). Measured on the
pre-fix and the seed's variants (their defects are test_que4_validation's).
"""

from __future__ import annotations

from typing import Any

from harness.crash import explore_named
from harness.scenario import scenario
from reference_impl.que import DualWriteMetrics
from scenarios.que import expect_checks, oracles
from scenarios.que.oracles import Case

FIX = "QUE-4"
assert expect_checks  # registers que.steps_gave / que.keys_are


@scenario(FIX, variants=("prefix", "seed", "fixed"), measured=("prefix", "seed"))
def test_validation_both_sides(ctx, que) -> None:
    """Bad workspace ids, an empty job id and an unknown status refused with nothing
    written; a valid workspace keyed into the new schema; no workspace accepted for a
    status update only while the migration flag is off."""
    metrics = DualWriteMetrics()
    calls = oracles.case_maker(que, ctx.variant, metrics)
    enq = oracles.ENQUEUED

    def enqueue(ws: Any) -> Case:
        return calls(("enqueue", "job-1", "req-1", ws))

    def update(ws: Any, *, status: str = "completed", job: str = "job-1", flag: bool = True):
        return calls(("update", job, status, ws), setup=enq, setup_flag=flag, new_schema=flag)

    cases = {
        "enqueue/workspace_empty": enqueue(""),
        "update/workspace_empty": update(""),
        "enqueue/workspace_none": enqueue(None),
        "update/workspace_none": update(None),
        "enqueue/workspace_int": enqueue(42),
        "update/workspace_int": update(42),
        "enqueue/workspace_list": enqueue(["ws-1"]),
        "update/workspace_list": update(["ws-1"]),
        "enqueue/empty_job_id": calls(("enqueue", "", "req-1")),
        "update/unknown_status": update("ws-1", status="done"),
        "update/empty_job_id": update("ws-1", job=""),
        "update/valid_workspace": update("ws-1"),
        "enqueue/valid_workspace": enqueue("ws-2"),
        "update/no_workspace_flag_off": update(None, flag=False),
    }
    refused = [["error", "InvalidInput"]]
    nothing = oracles.expect(refused, queue=[], old={}, new={}, idempotency={})
    one_job = oracles.expect(
        refused,
        queue=["job-1"],
        old={"job-1": {"status": "pending"}},
        new={"ws-1:job-1": {"status": "pending"}},
    )
    checks = {
        "enqueue/workspace_empty": nothing,
        "update/workspace_empty": one_job,
        "enqueue/workspace_none": nothing,
        "update/workspace_none": one_job,
        "enqueue/workspace_int": nothing,
        "update/workspace_int": one_job,
        "enqueue/workspace_list": nothing,
        "update/workspace_list": one_job,
        "enqueue/empty_job_id": nothing,
        "update/unknown_status": one_job,
        "update/empty_job_id": one_job,
        "update/valid_workspace": oracles.expect(
            [["updated", "job-1"]],
            old={"job-1": {"status": "completed"}},
            new={"ws-1:job-1": {"status": "completed"}},
        ),
        "enqueue/valid_workspace": oracles.expect(
            [["enqueued", "job-1", True]],
            queue=["job-1"],
            old={"job-1": {"workspace_id": "ws-2"}},
            new={"ws-2:job-1": {"workspace_id": "ws-2"}},
            idempotency={"ws-2:req-1": "job-1"},
        ),
        "update/no_workspace_flag_off": oracles.expect(
            [["updated", "job-1"]],
            queue=["job-1"],
            old={"job-1": {"status": "completed"}},
            new={},
        ),
    }
    explore_named(ctx, cases, checks=checks, snapshot=lambda: oracles.snapshot(que, metrics))
