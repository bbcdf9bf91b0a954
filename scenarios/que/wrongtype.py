"""A real command error: a key of the wrong type, so the write on it fails with WRONGTYPE.

Inside MULTI/EXEC such a command is queued fine and fails only when EXEC runs
it; Redis runs the other commands of the transaction anyway (no rollback).
Planting and repairing are faults of the case, recorded as nemesis ops.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import redis

from harness.crash import Steps
from reference_impl.que import KeyScheme
from scenarios.que import calls
from scenarios.que.env import QueEnv

GARBAGE = "not-the-expected-type"
TARGETS = ("queue", "old_job", "new_job")


def target_key(target: str, job_id: str, workspace_id: str = "ws-1") -> str:
    keys = KeyScheme()
    return {
        "queue": keys.queue,
        "old_job": keys.old_job(job_id),
        "new_job": keys.new_job(workspace_id, job_id),
    }[target]


def _plant(admin: redis.Redis, key: str) -> None:
    admin.delete(key)
    admin.set(key, GARBAGE)


def _repair(admin: redis.Redis, key: str) -> None:
    if admin.get(key) == GARBAGE:
        admin.delete(key)


def plant(steps: Steps, que: QueEnv, key: str) -> None:
    """Replace ``key`` by a string, so HSET/RPUSH on it fail with WRONGTYPE."""
    steps.fault("wrongtype", functools.partial(_plant, que.admin, key), ends_clients=False, key=key)


def repair(steps: Steps, que: QueEnv, key: str) -> None:
    """What an operator does once the error is seen: remove the bad key."""
    steps.fault("repair", functools.partial(_repair, que.admin, key), ends_clients=False, key=key)


def refusals(
    que: QueEnv, variant: str, targets: Sequence[str] = TARGETS, retries: Sequence[str] = ("retry",)
) -> dict[str, Callable[[Steps], None]]:
    """The named cases ``wrongtype@<target>``, one per target: ``refused_then_retried``."""
    return {f"wrongtype@{t}": refused_then_retried(que, variant, t, retries) for t in targets}


def refused_then_retried(
    que: QueEnv, variant: str, target: str, retries: Sequence[str] = ("retry",)
) -> Callable[[Steps], None]:
    """A named case: the first attempt of request ``req-1`` refused (WRONGTYPE on
    ``target``), the stores snapshotted (``after_fault``), the key repaired, then each of
    ``retries`` sends the request again with a new job id, as a re-sent API call gets."""

    def case(steps: Steps) -> None:
        key = target_key(target, "job-1")
        plant(steps, que, key)
        calls.Client(steps, "attempt-1", que.queue(variant)).enqueue("job-1", "req-1")
        steps.history.snapshot("after_fault", que.snapshot())
        repair(steps, que, key)
        for n, process in enumerate(retries, 2):
            calls.Client(steps, process, que.queue(variant)).enqueue(f"job-{n}", "req-1")

    return case
