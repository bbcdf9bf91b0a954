"""A real command error: a key of the wrong type, so the write on it fails with WRONGTYPE.

Inside MULTI/EXEC such a command is queued fine and fails only when EXEC runs
it; Redis runs the other commands of the transaction anyway (no rollback).
"""

from __future__ import annotations

import redis

from harness.history import History
from reference_impl.que import KeyScheme

GARBAGE = "not-the-expected-type"


def target_key(keys: KeyScheme, target: str, job_id: str, workspace_id: str = "ws-1") -> str:
    return {
        "queue": keys.queue,
        "old_job": keys.old_job(job_id),
        "new_job": keys.new_job(workspace_id, job_id),
    }[target]


def plant(admin: redis.Redis, history: History, key: str) -> None:
    """Replace ``key`` by a string, so HSET/RPUSH on it fail with WRONGTYPE."""
    history.fault("wrongtype", {"key": key})
    admin.delete(key)
    admin.set(key, GARBAGE)


def repair(admin: redis.Redis, history: History, key: str) -> None:
    """What an operator does once the error is seen: remove the bad key."""
    history.fault("repair", {"key": key})
    if admin.get(key) == GARBAGE:
        admin.delete(key)
