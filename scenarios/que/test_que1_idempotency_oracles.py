"""QUE-1 oracles: what enqueue answers and writes, exactly, request by request (issue 13).

From the fix's statement (a duplicate request enqueues once; a retry after a
failed attempt goes through): two requests queue two jobs in order, and a
call without a request id a third; each answers "created" with its own job
id; a duplicate request answers "not created" with the *first* job's id and
writes nothing; the same job id under a new request is not queued twice; an
empty request id is refused before anything is written; a queue key of the
wrong type is refused before anything is written. Measured on the pre-fix and
the seed's variants (their defects are test_que1_idempotency's).
"""

from __future__ import annotations

import functools

from harness.checkers import Check
from harness.crash import explore_named
from harness.scenario import scenario
from reference_impl.que import DualWriteMetrics
from scenarios.que import expect_checks, oracles

FIX = "QUE-1"
assert expect_checks  # registers que.steps_gave / que.keys_are


@scenario(FIX, variants=("prefix", "seed", "fixed"), measured=("prefix", "seed"))
def test_enqueue_answers_exactly(ctx, que) -> None:
    """Two requests, two jobs in order; a duplicate answers the first job, not created, and
    writes nothing; one job id under two requests is queued once; an empty request id and a
    queue key of the wrong type are refused with nothing written."""
    metrics = DualWriteMetrics()

    def calls(*todo, prepare=None):
        def run(steps) -> None:
            que.reset()
            if prepare is not None:
                prepare()
            queue = que.queue(ctx.variant, metrics=metrics)
            steps.run("client", functools.partial(oracles.run_calls, queue, list(todo)))

        return run

    def wrong_type_queue() -> None:
        que.admin.set("ai:queue:pending", "not a list")

    cases = {
        "two_requests_and_none": calls(
            ("enqueue", "job-1", "req-1"), ("enqueue", "job-2", "req-2"), ("enqueue", "job-3", None)
        ),
        "duplicate_request": calls(("enqueue", "job-1", "req-1"), ("enqueue", "job-9", "req-1")),
        "same_job_new_request": calls(("enqueue", "job-1", "req-1"), ("enqueue", "job-1", "req-2")),
        "empty_request_id": calls(("enqueue", "job-1", "")),
        "queue_key_wrong_type": calls(("enqueue", "job-1", "req-1"), prepare=wrong_type_queue),
    }
    pending = {"status": "pending"}
    nothing = {"queue": [], "old": {}, "new": {}, "idempotency": {}}

    def gave(*value):
        return Check("que.steps_gave", value=[list(v) for v in value])

    checks = {
        "two_requests_and_none": [
            gave(
                ["enqueued", "job-1", True],
                ["enqueued", "job-2", True],
                ["enqueued", "job-3", True],
            ),
            Check(
                "que.keys_are",
                want={
                    "queue": ["job-1", "job-2", "job-3"],
                    "old": {"job-1": pending, "job-2": pending, "job-3": pending},
                    "idempotency": {"ws-1:req-1": "job-1", "ws-1:req-2": "job-2"},
                },
            ),
        ],
        "duplicate_request": [
            gave(["enqueued", "job-1", True], ["enqueued", "job-1", False]),
            Check(
                "que.keys_are",
                want={
                    "queue": ["job-1"],
                    "old": {"job-1": pending},
                    "idempotency": {"ws-1:req-1": "job-1"},
                },
            ),
        ],
        "same_job_new_request": [
            gave(["enqueued", "job-1", True], ["enqueued", "job-1", False]),
            Check("que.keys_are", want={"queue": ["job-1"], "old": {"job-1": pending}}),
        ],
        "empty_request_id": [gave(["error", "InvalidInput"]), Check("que.keys_are", want=nothing)],
        "queue_key_wrong_type": [
            gave(["error", "SchemaWriteError"]),
            Check("que.keys_are", want={"old": {}, "new": {}, "idempotency": {}}),
        ],
    }
    explore_named(ctx, cases, checks=checks, snapshot=lambda: oracles.snapshot(que, metrics))
