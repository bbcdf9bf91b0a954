"""Queue operations as they run in a harness child (crash runner, race workers).

Each opens its own connection (nothing crosses the fork) and records its op
with ``harness.crash.child.record``, so the parent's history has the request
id the checkers group jobs by.
"""

from __future__ import annotations

import os
import random
import signal
from dataclasses import dataclass
from typing import Any

import redis

from harness import crashpoints
from harness.crash.child import record
from reference_impl.que import QueueError
from scenarios.que.clients import REPLY_TIMEOUT_S, build_queue, connect
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
    timeout_s: float = REPLY_TIMEOUT_S,
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


class _KillAt:
    """Crash-point controller: SIGKILL this process at the ``nth`` point reached."""

    def __init__(self, nth: int) -> None:
        self.left = nth

    def reached(self, name: str) -> None:
        self.left -= 1
        if self.left == 0:
            os.kill(os.getpid(), signal.SIGKILL)


@dataclass(frozen=True)
class HammerStep:
    """One hammering step: the same few request ids from every process, and now and
    then the process killed at a crash point mid-enqueue (all choices from ``rng``)."""

    variant: str
    host: str
    port: int
    db: int
    requests: int = 6
    kill_one_in: int = 4

    def __call__(self, rng: random.Random) -> dict[str, Any]:
        request = f"req-{rng.randrange(self.requests)}"
        job_id = f"job-{rng.getrandbits(48):012x}"
        if rng.randrange(self.kill_one_in) == 0:
            crashpoints.arm(_KillAt(rng.randint(1, 3)))
        try:
            return enqueue(self.variant, self.host, self.port, self.db, job_id, request)
        finally:
            crashpoints.disarm()
