"""Input checks that must run before anything is written (QUE-4)."""

from __future__ import annotations

JOB_STATUSES = ("pending", "running", "completed", "failed")


class InvalidInput(ValueError):
    """An argument was rejected before any write; the message names it and what it got."""


def require_workspace_id(workspace_id: object) -> str:
    if not isinstance(workspace_id, str) or not workspace_id:
        raise InvalidInput(f"workspace_id must be a non-empty string, got {workspace_id!r}")
    return workspace_id


def require_job_id(job_id: object) -> str:
    if not isinstance(job_id, str) or not job_id:
        raise InvalidInput(f"job_id must be a non-empty string, got {job_id!r}")
    return job_id


def require_status(status: object) -> str:
    if status not in JOB_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(JOB_STATUSES)}; got {status!r}")
    return str(status)


def optional_request_id(client_request_id: object) -> str | None:
    if client_request_id is None:
        return None
    if not isinstance(client_request_id, str) or not client_request_id:
        raise InvalidInput(
            f"client_request_id must be a non-empty string or None, got {client_request_id!r}"
        )
    return client_request_id
