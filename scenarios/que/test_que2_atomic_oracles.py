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

import functools

from harness.checkers import Check
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

    def calls(*todo, new_schema=True, admin=None):
        def run(steps) -> None:
            que.reset()
            if admin is not None:
                admin(que.admin)
            queue = que.queue(ctx.variant, new_schema=new_schema, metrics=metrics)
            steps.run("client", functools.partial(oracles.run_calls, queue, list(todo)))

        return run

    job = {"job_id": "job-1", "status": "pending", "workspace_id": "ws-1", "action_name": "act"}
    created = Check("que.steps_gave", value=[["enqueued", "job-1", True]])
    refused = Check("que.steps_gave", value=[["error", "SchemaWriteError"]])
    cases = {
        "with_request": calls(("enqueue", "job-1", "req-1")),
        "without_request": calls(("enqueue", "job-1", None)),
        "flag_off_with_request": calls(("enqueue", "job-1", "req-1"), new_schema=False),
    }
    checks = {
        "with_request": [
            created,
            Check(
                "que.keys_are",
                want={
                    "queue": ["job-1"],
                    "old": {"job-1": job},
                    "new": {"ws-1:job-1": job},
                    "idempotency": {"ws-1:req-1": "job-1"},
                    "other": {},
                },
            ),
        ],
        "without_request": [
            created,
            Check(
                "que.keys_are",
                want={
                    "queue": ["job-1"],
                    "old": {"job-1": job},
                    "new": {"ws-1:job-1": job},
                    "idempotency": {},
                    "other": {},
                },
            ),
        ],
        "flag_off_with_request": [
            created,
            Check(
                "que.keys_are",
                want={
                    "queue": ["job-1"],
                    "old": {"job-1": job},
                    "new": {},
                    "idempotency": {"ws-1:req-1": "job-1"},
                    "other": {},
                },
            ),
        ],
    }
    wrong = {
        "queue": ("ai:queue:pending", "string"),
        "old": ("ai:jobs:job-1", "string"),
        "new": ("ai:job:ws-1:job-1", "string"),
        "idempotency": ("ai:idempotency:ws-1:req-1", "list"),
    }
    for side, (key, kind) in wrong.items():

        def spoil(r, key=key, kind=kind) -> None:
            r.rpush(key, "x") if kind == "list" else r.set(key, "x")

        cases[f"{side}_wrong_type"] = calls(("enqueue", "job-1", "req-1"), admin=spoil)
        checks[f"{side}_wrong_type"] = [
            refused,
            Check(
                "que.keys_are",
                want={
                    "queue": [],
                    "old": {},
                    "new": {},
                    "idempotency": {},
                    "other": {key: kind},
                },
            ),
        ]
    explore_named(ctx, cases, checks=checks, snapshot=lambda: oracles.snapshot(que, metrics))
