"""QUE-3, QUE-5 and QUE-6 oracles: status updates, reads and their counts, exactly (issue 13).

QUE-3 (status dual-write: either write failing raises; the new key is updated
only if it exists): both hashes get the status; a job enqueued before the flag
has no new key and gets none; a missing job is refused (not a failed
dual-write); a wrong-typed old *or* new key is refused and neither store
changes (both looked at). QUE-5 (the read falls back from the new key to the
old one): the new key wins when both exist; the old one is read when the new
is missing, when the flag is off, and without a workspace; no job: None.
QUE-6 (dual-write attempts counted by outcome): exactly the successes and
refusals these calls caused, nothing for a duplicate, a missing job or a
flag-off write. Measured on the pre-fix and the seed's variants (their
defects are the fixes' own scenarios').
"""

from __future__ import annotations

import functools

from harness.checkers import Check
from harness.crash import explore_named
from harness.scenario import scenario
from reference_impl.que import DualWriteMetrics
from scenarios.que import expect_checks, oracles

assert expect_checks  # registers que.steps_gave / que.keys_are
VARIANTS = ("prefix", "seed", "fixed")
MEASURED = ("prefix", "seed")


@scenario("QUE-3", variants=VARIANTS, measured=MEASURED)
def test_status_update_exactly(ctx, que) -> None:
    """Both hashes updated; no new key created for an old job; a missing job and a wrong-typed
    key on either side refused with neither store changed."""
    metrics = DualWriteMetrics()
    calls = oracles.case_maker(que, ctx.variant, metrics)
    enq, update = oracles.ENQUEUED, ("update", "job-1", "completed")
    old_key, new_key = "ai:jobs:job-1", "ai:job:ws-1:job-1"
    cases = {
        "updates_both": calls(update, setup=enq),
        "old_job_gets_no_new_key": calls(
            ("update", "job-1", "running"), setup=enq, setup_flag=False
        ),
        "missing_job": calls(("update", "job-9", "completed")),
        "old_key_wrong_type": calls(update, setup=enq, admin=oracles.spoil(old_key, "string")),
        "new_key_wrong_type": calls(update, setup=enq, admin=oracles.spoil(new_key, "list")),
    }
    refused = [["error", "SchemaWriteError"]]
    pending = {"status": "pending"}
    checks = {
        "updates_both": oracles.expect(
            [["updated", "job-1"]],
            old={"job-1": {"status": "completed"}},
            new={"ws-1:job-1": {"status": "completed"}},
        ),
        "old_job_gets_no_new_key": oracles.expect(
            [["updated", "job-1"]], old={"job-1": {"status": "running"}}, new={}
        ),
        "missing_job": oracles.expect([["error", "JobNotFound"]], old={}, new={}, queue=[]),
        "old_key_wrong_type": oracles.expect(
            refused, new={"ws-1:job-1": pending}, other={old_key: "string"}
        ),
        "new_key_wrong_type": oracles.expect(
            refused, old={"job-1": pending}, other={new_key: "list"}
        ),
    }
    explore_named(ctx, cases, checks=checks, snapshot=lambda: oracles.snapshot(que, metrics))


@scenario("QUE-5", variants=VARIANTS, measured=MEASURED)
def test_read_falls_back_exactly(ctx, que) -> None:
    """The new key wins when both exist; the old is read when the new is missing, the flag is
    off or no workspace is given; no job at all reads as None."""
    metrics = DualWriteMetrics()
    calls = oracles.case_maker(que, ctx.variant, metrics)
    enq = oracles.ENQUEUED

    def old_differs(r) -> None:
        r.hset("ai:jobs:job-1", "status", "running")  # the two schemas disagree: who is read?

    cases = {
        "new_wins": calls(("get", "job-1"), setup=enq, admin=old_differs),
        "falls_back_to_old": calls(("get", "job-1"), setup=enq, setup_flag=False),
        "flag_off_reads_old": calls(
            ("get", "job-1"), setup=enq, admin=old_differs, new_schema=False
        ),
        "no_workspace_reads_old": calls(("get", "job-1", None), setup=enq, admin=old_differs),
        "no_job": calls(("get", "job-9")),
        "empty_job_id": calls(("get", ""), setup=enq),
    }
    checks = {
        "new_wins": [Check("que.steps_gave", value=[["job", "pending"]])],
        "falls_back_to_old": [Check("que.steps_gave", value=[["job", "pending"]])],
        "flag_off_reads_old": [Check("que.steps_gave", value=[["job", "running"]])],
        "no_workspace_reads_old": [Check("que.steps_gave", value=[["job", "running"]])],
        "no_job": [Check("que.steps_gave", value=[["job", None]])],
        "empty_job_id": [Check("que.steps_gave", value=[["error", "InvalidInput"]])],
    }
    explore_named(ctx, cases, checks=checks, snapshot=lambda: oracles.snapshot(que, metrics))


@scenario("QUE-6", variants=VARIANTS, measured=MEASURED)
def test_counts_exactly(ctx, que) -> None:
    """Successes and refusals counted once each, by operation; a duplicate, a missing job and a
    flag-off write count nothing."""
    registries: dict[str, DualWriteMetrics] = {}

    def case(name, *todo, new_schema=True, admin=None):
        def run(steps) -> None:
            que.reset()
            registries[name] = metrics = DualWriteMetrics()
            if admin is not None:
                admin(que.admin)
            queue = que.queue(ctx.variant, new_schema=new_schema, metrics=metrics)
            steps.run("client", functools.partial(oracles.run_calls, queue, list(todo)))

        return name, run

    plan = dict(
        [
            case(
                "successes",
                ("enqueue", "job-1", "req-1"),
                ("enqueue", "job-2", None),
                ("enqueue", "job-3", "req-1"),  # a duplicate: not a write
                ("update", "job-1", "running"),
                ("update", "job-9", "running"),  # no such job: the caller's error
            ),
            case(
                "refusals",
                ("enqueue", "job-1", "req-1"),
                ("update", "job-1", "running"),
                admin=lambda r: r.set("ai:queue:pending", "x"),
            ),
            case(
                "flag_off",
                ("enqueue", "job-1", "req-1"),
                ("update", "job-1", "running"),
                new_schema=False,
            ),
        ]
    )
    checks = {
        "successes": [
            Check(
                "que.keys_are",
                want={"metrics": {"enqueue/succeeded": 2, "update_status/succeeded": 1}},
            )
        ],
        "refusals": [Check("que.keys_are", want={"metrics": {"enqueue/failed": 1}})],
        "flag_off": [Check("que.keys_are", want={"metrics": {}})],
    }

    def snap():  # the counts of the case just run (each case has its own registry)
        return oracles.snapshot(que, registries[next(reversed(registries))])

    explore_named(ctx, plan, checks=checks, snapshot=snap)
