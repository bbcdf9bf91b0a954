"""What the QUE oracle scenarios share: a step that runs a list of queue calls and says,
for each, what came back (or which error); the case that runs it from an empty store; the
two checks on what the calls gave and what the stores hold; a snapshot with the metrics."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from harness.checkers import Check
from harness.crash import Steps
from reference_impl.que import DualWriteMetrics, JobQueue

WS = "ws-1"


def run_calls(queue: JobQueue, calls: list[tuple[Any, ...]]) -> list[list[Any]]:
    """``("enqueue", job, request[, ws])``, ``("update", job, status[, ws])``,
    ``("get", job[, ws])``: each result as data, an error as ``["error", its type]``."""
    out: list[list[Any]] = []
    for call in calls:
        what, job, *rest = call
        try:
            if what == "enqueue":
                ws = rest[1] if len(rest) > 1 else WS
                res = queue.enqueue(job, "prov", "act", {"request": rest[0]}, ws, "actor", rest[0])
                out.append(["enqueued", res.job_id, res.created])
            elif what == "update":
                ws = rest[1] if len(rest) > 1 else WS
                queue.update_status(job, rest[0], workspace_id=ws)
                out.append(["updated", job])
            else:
                ws = rest[0] if rest else WS
                fields = queue.get_job(job, workspace_id=ws)
                out.append(["job", None if fields is None else fields.get("status")])
        except Exception as exc:
            out.append(["error", type(exc).__name__])
    return out


def snapshot(que: Any, metrics: DualWriteMetrics) -> dict[str, Any]:
    return {**que.snapshot(), "metrics": metrics.counts()}


#: The job every oracle case enqueues first when it needs one.
ENQUEUED = (("enqueue", "job-1", "req-1"),)

Case = Callable[[Steps], None]


def case_maker(que: Any, variant: str, metrics: DualWriteMetrics) -> Callable[..., Case]:
    """``calls(*todo, new_schema=True, setup=(), setup_flag=True, admin=None)``: a case that
    empties the store, runs ``setup`` with the migration flag ``setup_flag`` (not counted:
    that queue has no metrics), lets ``admin(redis)`` change keys, then runs ``todo`` as the
    recorded step on a queue counting into ``metrics``."""

    def calls(
        *todo: tuple[Any, ...],
        new_schema: bool = True,
        setup: Sequence[tuple[Any, ...]] = (),
        setup_flag: bool = True,
        admin: Callable[[Any], object] | None = None,
    ) -> Case:
        def run(steps: Steps) -> None:
            que.reset()
            if setup:
                run_calls(que.queue(variant, new_schema=setup_flag), list(setup))
            if admin is not None:
                admin(que.admin)
            queue = que.queue(variant, new_schema=new_schema, metrics=metrics)
            steps.run("client", functools.partial(run_calls, queue, list(todo)))

        return run

    return calls


def expect(gave: list[list[Any]], **stores: Any) -> list[Check]:
    """The calls gave exactly ``gave``; each store named holds exactly what is given
    (``queue``, ``old``, ``new``, ``idempotency``, ``other``, ``metrics``)."""
    return [Check("que.steps_gave", value=gave), Check("que.keys_are", want=stores)]


def spoil(key: str, kind: str) -> Callable[[Any], object]:
    """An ``admin`` step that puts a key of the wrong type (``string`` or ``list``) at ``key``,
    replacing what was there."""

    def admin(r: Any) -> None:
        r.delete(key)
        r.rpush(key, "x") if kind == "list" else r.set(key, "x")

    return admin
