"""Queue calls as a client makes them, recorded where they run.

Here (recovery steps, named cases) each call goes through the engine's
``Steps.run``: invoke with what it asked for (the request id the checks group
jobs by), ok with what it returned, ``fail`` for a refusal (``FAIL_ON``: it
certainly did not happen), ``info`` when the outcome is unknown (a link error).
In a harness child ``child_ops`` records the same calls with ``record``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import redis

from harness.crash import Steps
from reference_impl.que import DualWriteMetrics, JobQueue, QueueError
from scenarios.que.checks import OBSERVED

#: Errors after which the call certainly did not happen, as the client sees it.
FAIL_ON: tuple[type[BaseException], ...] = (redis.ResponseError, ValueError, QueueError)
JOB = {"action_provider": "google", "action_name": "gmail.send", "actor_id": "user-1"}


def enqueue_now(queue: JobQueue, job_id: str, request: str, workspace_id: Any = "ws-1") -> dict:
    """One enqueue; ``request`` goes in the params too, so jobs can be grouped by it."""
    res = queue.enqueue(
        job_id=job_id,
        params={"request": request},
        workspace_id=workspace_id,
        client_request_id=request,
        **JOB,
    )
    return {"job_id": res.job_id, "created": res.created}


@dataclass(frozen=True)
class Client:
    """A client of ``queue`` whose calls are recorded in the case as ``process``."""

    steps: Steps
    process: str
    queue: JobQueue

    def _run(self, f: str, fn: Callable[[], Any], **value: Any) -> Any:
        return self.steps.run(self.process, fn, f=f, value=value, fail_on=FAIL_ON)

    def enqueue(self, job_id: str, request: str, workspace_id: Any = "ws-1") -> Any:
        call = functools.partial(enqueue_now, self.queue, job_id, request, workspace_id)
        return self._run("enqueue", call, job_id=job_id, request=request, workspace_id=workspace_id)

    def update_status(self, job_id: str, status: str, workspace_id: Any = "ws-1") -> Any:
        call = functools.partial(
            self.queue.update_status, job_id, status, workspace_id=workspace_id
        )
        return self._run(
            "update_status", call, job_id=job_id, status=status, workspace_id=workspace_id
        )

    def get_job(self, job_id: str) -> Any:
        call = functools.partial(self.queue.get_job, job_id, workspace_id="ws-1")
        return self._run("get_job", call, job_id=job_id)

    def observed(self, metrics: DualWriteMetrics, logs: Iterable[str] = ()) -> None:
        """What the client saw of itself (its dual-write counters, its ERROR logs), for the checks."""
        seen = {"metrics": metrics.counts(), "logs": list(logs)}
        self.steps.run(self.process, lambda: seen, f=OBSERVED)
