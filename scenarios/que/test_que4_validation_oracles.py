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

import functools

from harness.checkers import Check
from harness.crash import explore_named
from harness.scenario import scenario
from reference_impl.que import DualWriteMetrics
from scenarios.que import expect_checks, oracles

FIX = "QUE-4"
assert expect_checks  # registers que.steps_gave / que.keys_are


@scenario(FIX, variants=("prefix", "seed", "fixed"), measured=("prefix", "seed"))
def test_validation_both_sides(ctx, que) -> None:
    """Bad workspace ids, an empty job id and an unknown status refused with nothing
    written; a valid workspace keyed into the new schema; no workspace accepted for a
    status update only while the migration flag is off."""
    metrics = DualWriteMetrics()

    def calls(*todo, new_schema=True, enqueued=False):
        def run(steps) -> None:
            que.reset()
            queue = que.queue(ctx.variant, new_schema=new_schema, metrics=metrics)
            if enqueued:
                oracles.run_calls(queue, [("enqueue", "job-1", "req-1")])
            steps.run("client", functools.partial(oracles.run_calls, queue, list(todo)))

        return run

    refused = [["error", "InvalidInput"]]
    nothing = {"queue": [], "old": {}, "new": {}, "idempotency": {}}
    one_job = {
        "queue": ["job-1"],
        "old": {"job-1": {"status": "pending"}},
        "new": {"ws-1:job-1": {"status": "pending"}},
    }
    cases, checks = {}, {}
    for label, bad in (("empty", ""), ("none", None), ("int", 42), ("list", ["ws-1"])):
        cases[f"enqueue/workspace_{label}"] = calls(("enqueue", "job-1", "req-1", bad))
        checks[f"enqueue/workspace_{label}"] = [
            Check("que.steps_gave", value=refused),
            Check("que.keys_are", want=nothing),
        ]
        cases[f"update/workspace_{label}"] = calls(
            ("update", "job-1", "completed", bad), enqueued=True
        )
        checks[f"update/workspace_{label}"] = [
            Check("que.steps_gave", value=refused),
            Check("que.keys_are", want=one_job),
        ]
    cases["enqueue/empty_job_id"] = calls(("enqueue", "", "req-1"))
    checks["enqueue/empty_job_id"] = [
        Check("que.steps_gave", value=refused),
        Check("que.keys_are", want=nothing),
    ]
    cases["update/unknown_status"] = calls(("update", "job-1", "done"), enqueued=True)
    checks["update/unknown_status"] = [
        Check("que.steps_gave", value=refused),
        Check("que.keys_are", want=one_job),
    ]
    cases["update/empty_job_id"] = calls(("update", "", "completed"), enqueued=True)
    checks["update/empty_job_id"] = [
        Check("que.steps_gave", value=refused),
        Check("que.keys_are", want=one_job),
    ]
    cases["update/valid_workspace"] = calls(("update", "job-1", "completed"), enqueued=True)
    checks["update/valid_workspace"] = [
        Check("que.steps_gave", value=[["updated", "job-1"]]),
        Check(
            "que.keys_are",
            want={
                "old": {"job-1": {"status": "completed"}},
                "new": {"ws-1:job-1": {"status": "completed"}},
            },
        ),
    ]
    cases["enqueue/valid_workspace"] = calls(("enqueue", "job-1", "req-1", "ws-2"))
    checks["enqueue/valid_workspace"] = [
        Check("que.steps_gave", value=[["enqueued", "job-1", True]]),
        Check(
            "que.keys_are",
            want={
                "queue": ["job-1"],
                "old": {"job-1": {"workspace_id": "ws-2"}},
                "new": {"ws-2:job-1": {"workspace_id": "ws-2"}},
                "idempotency": {"ws-2:req-1": "job-1"},
            },
        ),
    ]
    cases["update/no_workspace_flag_off"] = calls(
        ("update", "job-1", "completed", None), new_schema=False, enqueued=True
    )
    checks["update/no_workspace_flag_off"] = [
        Check("que.steps_gave", value=[["updated", "job-1"]]),
        Check(
            "que.keys_are",
            want={"queue": ["job-1"], "old": {"job-1": {"status": "completed"}}, "new": {}},
        ),
    ]
    explore_named(ctx, cases, checks=checks, snapshot=lambda: oracles.snapshot(que, metrics))
