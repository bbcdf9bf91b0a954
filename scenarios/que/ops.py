"""Run one queue call and record it in a history the way a client sees it.

``ok``: it returned. ``fail``: the server or the queue refused it (an error
reply, a validation error): the client believes it did not happen, and the
checkers test whether that belief is true. ``info``: the link failed, so the
outcome is unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis

from harness.history import History
from reference_impl.que import EnqueueResult, JobQueue

LINK_ERRORS = (redis.ConnectionError, redis.TimeoutError)

JOB = {"action_provider": "google", "action_name": "gmail.send", "actor_id": "user-1"}


def _call(history: History, process: str, f: str, value: Any, fn: Callable[[], Any]) -> Any:
    op = history.invoke(process, f, value)
    try:
        out = fn()
    except LINK_ERRORS as exc:
        history.info(op, f"{type(exc).__name__}: {exc}")
        return exc
    except Exception as exc:
        history.fail(op, f"{type(exc).__name__}: {exc}")
        return exc
    history.ok(op, _jsonable(out))
    return out


def _jsonable(out: Any) -> Any:
    if isinstance(out, EnqueueResult):
        return {"job_id": out.job_id, "created": out.created}
    return out


def enqueue(
    history: History,
    queue: JobQueue,
    job_id: str,
    request: str | None,
    *,
    process: str = "client",
    workspace_id: Any = "ws-1",
) -> EnqueueResult | Exception:
    """Enqueue a job; ``request`` goes in the params too, so jobs can be grouped by it."""
    value = {"job_id": job_id, "request": request, "workspace_id": workspace_id}
    return _call(
        history,
        process,
        "enqueue",
        value,
        lambda: queue.enqueue(
            job_id=job_id,
            params={"request": request},
            workspace_id=workspace_id,
            client_request_id=request,
            **JOB,
        ),
    )


def update_status(
    history: History,
    queue: JobQueue,
    job_id: str,
    status: str,
    *,
    process: str = "client",
    workspace_id: Any = "ws-1",
) -> Exception | None:
    value = {"job_id": job_id, "status": status, "workspace_id": workspace_id}
    return _call(
        history,
        process,
        "update_status",
        value,
        lambda: queue.update_status(job_id, status, workspace_id=workspace_id),
    )


def get_job(
    history: History,
    queue: JobQueue,
    job_id: str,
    *,
    process: str = "client",
    workspace_id: Any = "ws-1",
) -> dict[str, str] | Exception | None:
    value = {"job_id": job_id, "workspace_id": workspace_id}
    return _call(
        history, process, "get_job", value, lambda: queue.get_job(job_id, workspace_id=workspace_id)
    )
