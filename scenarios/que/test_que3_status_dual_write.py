"""QUE-3: status update dual-write: old-schema failure raises; new-schema failure is
logged, counted as a failed dual write and raised; the new key only updated if it exists."""

from __future__ import annotations

from typing import Any

from harness.crash import at_points, discover_in_process
from harness.history import History
from harness.scenario import ScenarioContext, scenario
from harness.verdict import Verdict, compose
from reference_impl.que import DualWriteMetrics, KeyScheme
from scenarios.que import linkfaults, ops, wrongtype
from scenarios.que.checks import expect
from scenarios.que.logs import error_logs


def schemas_agree(snap: dict[str, Any]) -> Verdict:
    """Where both hashes of a job exist, they are equal: a read (new key first) and the
    old schema never disagree. Beyond FIXES' wording: a failed update must not leave
    the two schemas diverged."""
    new_by_job = {f.get("job_id"): f for f in snap["new"].values()}
    diverged = {
        job_id: {"old": old.get("status"), "new": new_by_job[job_id].get("status")}
        for job_id, old in snap["old"].items()
        if job_id in new_by_job and new_by_job[job_id] != old
    }
    return expect("que.schemas_agree", not diverged, "old and new hashes agree", diverged=diverged)


def judge_update(
    fault_on: str,
    out: Any,
    before: dict[str, Any],
    after: dict[str, Any],
    counts: dict[str, int],
    logs: list[str],
) -> list[Verdict]:
    """The behaviour FIXES asks for, given which write the fault hit."""
    raised = isinstance(out, Exception)
    failures = counts.get("update_status/failed", 0) + counts.get("update_status/unknown", 0)
    if fault_on == "old":
        return [
            expect("que.old_failure_raises", raised, "the update raised", got=repr(out)),
            expect(
                "que.new_untouched",
                after["new"] == before["new"],
                "the new-schema hash untouched",
                before=before["new"],
                after=after["new"],
            ),
        ]
    if fault_on == "new":
        return [
            expect("que.new_failure_raises", raised, "the update raised", got=repr(out)),
            expect("que.new_failure_logged", bool(logs), "an ERROR was logged", logs=logs),
            expect(
                "que.new_failure_counted",
                failures == 1,
                "exactly one failed dual write counted",
                counts=counts,
            ),
        ]
    # No fault on any write: the new key exists only if it did before.
    new_before = {f.get("job_id") for f in before["new"].values()}
    new_after = {f.get("job_id") for f in after["new"].values()}
    return [
        expect("que.update_ok", not raised, "the update returned", got=repr(out)),
        expect(
            "que.new_only_if_exists",
            new_before == new_after,
            "no new-schema hash created",
            before=sorted(new_before),
            after=sorted(new_after),
        ),
        expect(
            "que.old_updated",
            after["old"].get("job-1", {}).get("status") == "completed",
            "the old-schema status is completed",
        ),
    ]


@scenario("QUE-3", variants=("prefix", "seed", "fixed"), measured=("seed",))
def test_status_update_command_errors(ctx: ScenarioContext, que) -> None:
    """WRONGTYPE on the old or the new job hash, and a job with no new key yet."""
    cases = {"wrongtype@old_job": "old", "wrongtype@new_job": "new", "new_key_missing": "none"}
    for case, fault_on in cases.items():
        if not ctx.selected(case):
            continue
        que.reset()
        history = History()
        ops.enqueue(
            history, que.queue(ctx.variant, new_schema=fault_on != "none"), "job-1", "req-1"
        )
        if fault_on != "none":
            target = "old_job" if fault_on == "old" else "new_job"
            wrongtype.plant(que.admin, history, wrongtype.target_key(KeyScheme(), target, "job-1"))
        before = que.snapshot()
        metrics = DualWriteMetrics()
        queue = que.queue(ctx.variant, metrics=metrics)
        with error_logs() as logs:
            out = ops.update_status(history, queue, "job-1", "completed")
        after = que.snapshot()
        history.snapshot("before", before)
        history.snapshot("after", after)
        parts = [
            *judge_update(fault_on, out, before, after, metrics.counts(), logs),
            schemas_agree(after),
        ]
        ctx.record(case, compose(case, parts), history=history, detail={"fault_on": fault_on})
    ctx.explored(faults=list(cases))


def _update_points(que, variant: str) -> list[str]:
    que.reset()
    history = History()
    ops.enqueue(history, que.queue(variant), "job-0", "req-0")
    queue = que.queue(variant)
    points = discover_in_process(
        lambda: ops.update_status(history, queue, "job-0", "running"), "que.update_status."
    )
    que.reset()
    return points


@scenario("QUE-3", variants=("prefix", "seed", "fixed"), measured=("seed",))
def test_status_update_link_faults(ctx: ScenarioContext, que, que_link) -> None:
    """The link cut, or the reply lost, at each crash point of a status update. Which
    write failed is read from the state: old status unchanged = an old-schema failure
    (must raise); old changed but the call raised = a new-schema failure (must raise,
    be logged and, unless the fault hit the old write's own reply, counted); and the
    two schemas must agree afterwards."""
    points = _update_points(que, ctx.variant)
    via = (que_link.host, que_link.port)
    for point in points:
        for kind in linkfaults.KINDS:
            case = f"{kind}@{point}"
            if not ctx.selected(case):
                continue
            que.reset()
            history = History()
            ops.enqueue(history, que.queue(ctx.variant), "job-1", "req-1")
            before = que.snapshot()
            metrics = DualWriteMetrics()
            queue = que.queue(ctx.variant, via=via, metrics=metrics)
            with (
                error_logs() as logs,
                at_points({point: linkfaults.action(que_link, kind, history, point)}),
            ):
                out = ops.update_status(history, queue, "job-1", "completed")
            linkfaults.heal(que_link, history)
            after = que.snapshot()
            history.snapshot("before", before)
            history.snapshot("after", after)
            old_changed = after["old"].get("job-1", {}).get("status") == "completed"
            raised = isinstance(out, Exception)
            fault_on = "new" if (raised and old_changed) else ("old" if raised else "none")
            parts = judge_update(fault_on, out, before, after, metrics.counts(), logs)
            if fault_on == "new" and point.endswith(".start"):
                # The fault hit the old write itself (applied, reply lost): an
                # old-schema failure to the client, which FIXES does not ask to count.
                parts = [p for p in parts if p.checker != "que.new_failure_counted"]
            if fault_on == "none":
                parts = [p for p in parts if p.checker != "que.new_only_if_exists"]
                new_status = [f.get("status") for f in after["new"].values()]
                parts.append(
                    expect(
                        "que.new_updated",
                        new_status == ["completed"],
                        "the new-schema status is completed",
                        got=new_status,
                    )
                )
            parts.append(schemas_agree(after))
            ctx.record(
                case,
                compose(case, parts),
                history=history,
                detail={"fault": kind, "at": point, "judged_as": fault_on},
            )
    ctx.explored(points=points, faults=list(linkfaults.KINDS))
