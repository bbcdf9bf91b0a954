"""The job hash and the status-update fields, as the seed builds them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

#: ``Any`` keys: redis-py types ``hset(mapping=)`` with an invariant key type.
Fields = dict[Any, Any]


def job_fields(
    *,
    job_id: str,
    action_provider: str,
    action_name: str,
    params: dict[str, Any],
    workspace_id: Any,
    actor_id: str,
    now: Callable[[], datetime],
) -> Fields:
    # ``workspace_id: Any``: the pre-fix variants store whatever they are given;
    # redis-py then refuses ``None`` while encoding, before anything is sent.
    return {
        "job_id": job_id,
        "status": "pending",
        "action_provider": action_provider,
        "action_name": action_name,
        "params": json.dumps(params, sort_keys=True),
        "workspace_id": workspace_id,
        "actor_id": actor_id,
        "result": "",
        "enqueued_at": now().isoformat(),
    }


def status_fields(
    status: str, result: dict[str, Any] | None, now: Callable[[], datetime]
) -> Fields:
    updates: Fields = {"status": status}
    if status == "running":
        updates["started_at"] = now().isoformat()
    elif status in ("completed", "failed"):
        updates["finished_at"] = now().isoformat()
        if result:
            updates["result"] = json.dumps(result, sort_keys=True)
    return updates
