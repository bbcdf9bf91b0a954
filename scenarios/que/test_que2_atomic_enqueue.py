"""QUE-2: enqueue writes old hash, new hash and queue entry all or nothing."""

from __future__ import annotations

from harness.history import History
from harness.scenario import ScenarioContext, scenario
from harness.verdict import compose
from reference_impl.que import KeyScheme
from scenarios.que import ops, wrongtype
from scenarios.que.checks import no_partial_job, queue_invariants

TARGETS = ("queue", "old_job", "new_job")


@scenario("QUE-2", variants=("prefix", "seed", "fixed"), measured=("seed",))
def test_command_error_in_transaction(ctx: ScenarioContext, que) -> None:
    """A write failing with WRONGTYPE inside the enqueue: no partial job, before or after the retry."""
    for target in TARGETS:
        case = f"wrongtype@{target}"
        if not ctx.selected(case):
            continue
        que.reset()
        history = History()
        key = wrongtype.target_key(KeyScheme(), target, "job-1")
        wrongtype.plant(que.admin, history, key)
        ops.enqueue(history, que.queue(ctx.variant), "job-1", "req-1")
        after_error = que.snapshot()
        wrongtype.repair(que.admin, history, key)
        ops.enqueue(history, que.queue(ctx.variant), "job-2", "req-1")
        final = que.snapshot()
        history.snapshot("after_error", after_error)
        history.snapshot("final", final)
        verdict = compose(
            case,
            [no_partial_job(after_error), queue_invariants(final, history)],
        )
        ctx.record(case, verdict, history=history, detail={"wrongtype_key": key})
    ctx.explored(faults=[f"wrongtype@{t}" for t in TARGETS])
