"""The pieces the QUE scenarios plan with: the op a fault hits, and the calls that recover.

An op factory is what ``explore_points`` calls per case, ``op(facts, link)``:
the child's call, reaching Redis through the fault's link (None: directly).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from harness.crash import Steps
from scenarios.que import calls, child_ops
from scenarios.que.env import QueEnv

OpFactory = Callable[[Any, Any], Callable[[], Any]]


def enqueue_op(
    que: QueEnv, variant: str, job_id: str = "job-1", *, retries: int = 0, observe: bool = False
) -> OpFactory:
    """Request ``req-1`` sent once from a child (``retries``: redis-py's own re-sends;
    ``observe``: record the client's counters after the call)."""

    def op(facts: Any, link: Any) -> Callable[[], Any]:
        return functools.partial(
            child_ops.attempt_enqueue,
            variant,
            *que.via(link),
            job_id,
            "req-1",
            retries,
            observe,
        )

    return op


def update_op(que: QueEnv, variant: str, status: str = "completed") -> OpFactory:
    """Job ``job-1``'s status set once from a child (its counters and logs recorded)."""

    def op(facts: Any, link: Any) -> Callable[[], Any]:
        return functools.partial(child_ops.attempt_update, variant, *que.via(link), "job-1", status)

    return op


def send_again(que: QueEnv, variant: str, processes: Sequence[str]) -> Callable[[Steps], None]:
    """Recovery: each process sends request ``req-1`` again, with a new job id (as a
    re-sent API call gets)."""

    def recover(steps: Steps) -> None:
        for n, process in enumerate(processes, 2):
            calls.Client(steps, process, que.queue(variant)).enqueue(f"job-{n}", "req-1")

    return recover
