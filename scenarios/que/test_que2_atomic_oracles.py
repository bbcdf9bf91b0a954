"""QUE-2 oracles: what one enqueue writes to every store, exactly, and what a refused one
leaves (issue 13: strict acceptance, every store looked at).

From the fix's statement (old job hash, new job hash when the flag is on, and
the queue entry, all or nothing): a clean enqueue answers "created" and
writes all of them, and the idempotency key when there is a request id, and
nothing else; with the flag off, no new hash; a key of the wrong type on any
side (queue, old hash, new hash, idempotency key) refuses the enqueue with
SchemaWriteError and *no* store changes. A refusal is not an acceptable
answer to a clean enqueue. Measured on the pre-fix and the seed's variants
(their partial writes are test_que2_atomic_enqueue's).
"""

from __future__ import annotations

from harness.crash import explore_named
from harness.scenario import scenario
from reference_impl.que import DualWriteMetrics
from scenarios.que import expect_checks, oracles

FIX = "QUE-2"
assert expect_checks  # registers que.steps_gave / que.keys_are


@scenario(FIX, variants=("prefix", "seed", "fixed"), measured=("prefix", "seed"))
def test_enqueue_writes_all_or_nothing_exactly(ctx, que) -> None:
    """A clean enqueue writes old hash, new hash, queue entry (and idempotency key) and
    nothing else; with the flag off no new hash; a wrong-typed key on any side: refused,
    no store changed."""
    metrics = DualWriteMetrics()
    calls = oracles.case_maker(que, ctx.variant, metrics)
    enqueue = ("enqueue", "job-1", "req-1")
    job = {"job_id": "job-1", "status": "pending", "workspace_id": "ws-1", "action_name": "act"}
    created = [["enqueued", "job-1", True]]
    refused = [["error", "SchemaWriteError"]]
    nothing = {"queue": [], "old": {}, "new": {}, "idempotency": {}}
    queue_key, old_key = "ai:queue:pending", "ai:jobs:job-1"
    new_key, idem_key = "ai:job:ws-1:job-1", "ai:idempotency:ws-1:req-1"
    cases = {
        "with_request": calls(enqueue),
        "without_request": calls(("enqueue", "job-1", None)),
        "flag_off_with_request": calls(enqueue, new_schema=False),
        "queue_wrong_type": calls(enqueue, admin=oracles.spoil(queue_key, "string")),
        "old_wrong_type": calls(enqueue, admin=oracles.spoil(old_key, "string")),
        "new_wrong_type": calls(enqueue, admin=oracles.spoil(new_key, "string")),
        "idempotency_wrong_type": calls(enqueue, admin=oracles.spoil(idem_key, "list")),
    }
    written = {"queue": ["job-1"], "old": {"job-1": job}, "other": {}}
    checks = {
        "with_request": oracles.expect(
            created, **written, new={"ws-1:job-1": job}, idempotency={"ws-1:req-1": "job-1"}
        ),
        "without_request": oracles.expect(
            created, **written, new={"ws-1:job-1": job}, idempotency={}
        ),
        "flag_off_with_request": oracles.expect(
            created, **written, new={}, idempotency={"ws-1:req-1": "job-1"}
        ),
        "queue_wrong_type": oracles.expect(refused, **nothing, other={queue_key: "string"}),
        "old_wrong_type": oracles.expect(refused, **nothing, other={old_key: "string"}),
        "new_wrong_type": oracles.expect(refused, **nothing, other={new_key: "string"}),
        "idempotency_wrong_type": oracles.expect(refused, **nothing, other={idem_key: "list"}),
    }
    explore_named(ctx, cases, checks=checks, snapshot=lambda: oracles.snapshot(que, metrics))
