"""Queue calls as they run in a harness child (a fault at a point, a race, a hammer).

Each opens its own connection (nothing crosses the fork), warm before the first
crash point as a running service's is, and records its call with
``harness.crash.child.record`` (``fail`` for ``FAIL_ON``, given to the explorer,
else ``info``), so the parent's history has the request id the checks group jobs
by; ``observe`` records the client's counters and ERROR logs after the call.
"""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from harness import crashpoints
from harness.crash.child import record
from reference_impl.que import DualWriteMetrics, JobQueue
from scenarios.que.calls import enqueue_now
from scenarios.que.checks import OBSERVED
from scenarios.que.clients import build_queue, connect
from scenarios.que.logs import error_logs


@contextmanager
def _queue(
    variant: str, host: str, port: int, db: int, retries: int, observe: bool
) -> Iterator[JobQueue]:
    client = connect(host, port, db, retries=retries)
    client.ping()  # warm: a fault at a point hits the queue's command, not a handshake
    metrics = DualWriteMetrics()
    try:
        with error_logs() as logs:
            try:
                yield build_queue(variant, client, metrics=metrics)
            finally:
                if observe:
                    with record(OBSERVED) as op:
                        op.ok({"metrics": metrics.counts(), "logs": list(logs)})
    finally:
        client.close()


def attempt_enqueue(
    variant: str,
    host: str,
    port: int,
    db: int,
    job_id: str,
    request: str,
    retries: int = 0,
    observe: bool = False,
) -> dict[str, Any]:
    """``retries``: redis-py's own re-sends after a connection error (0: none)."""
    with _queue(variant, host, port, db, retries, observe) as queue:
        value = {"job_id": job_id, "request": request, "workspace_id": "ws-1"}
        with record("enqueue", value) as op:
            out = enqueue_now(queue, job_id, request)
            op.ok(out)
        return out


def attempt_update(variant: str, host: str, port: int, db: int, job_id: str, status: str) -> None:
    with _queue(variant, host, port, db, 0, True) as queue:
        value = {"job_id": job_id, "status": status, "workspace_id": "ws-1"}
        with record("update_status", value):
            queue.update_status(job_id, status, workspace_id="ws-1")


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
            return attempt_enqueue(self.variant, self.host, self.port, self.db, job_id, request)
        finally:
            crashpoints.disarm()
