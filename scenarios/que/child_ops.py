"""Queue operations as they run in a harness child (crash runner, race workers).

Each opens its own connection (nothing crosses the fork) and records its op
with ``harness.crash.child.record``, so the parent's history has the request
id the checkers group jobs by.
"""

from __future__ import annotations

from typing import Any

import redis

from harness.crash.child import record
from reference_impl.que import QueueError
from scenarios.que.clients import build_queue, connect
from scenarios.que.ops import JOB

#: Errors after which the op certainly did not happen, as the client sees it.
FAIL_ON: tuple[type[BaseException], ...] = (redis.ResponseError, ValueError, QueueError)


def enqueue(
    variant: str,
    host: str,
    port: int,
    db: int,
    job_id: str,
    request: str,
    timeout_s: float = 2.0,
) -> dict[str, Any]:
    client = connect(host, port, db, timeout_s=timeout_s)
    try:
        queue = build_queue(variant, client)
        value = {"job_id": job_id, "request": request, "workspace_id": "ws-1"}
        with record("enqueue", value) as op:
            res = queue.enqueue(
                job_id=job_id,
                params={"request": request},
                workspace_id="ws-1",
                client_request_id=request,
                **JOB,
            )
            out = {"job_id": res.job_id, "created": res.created}
            op.ok(out)
        return out
    finally:
        client.close()
