"""What the QUE oracle scenarios share: a step that runs a list of queue calls and says,
for each, what came back (or which error), and a snapshot with the metrics beside the keys."""

from __future__ import annotations

from typing import Any

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
