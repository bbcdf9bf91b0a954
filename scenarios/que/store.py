"""The state of the queue's keys, as a JSON snapshot the checkers judge and reports show."""

from __future__ import annotations

from typing import Any

import redis

from reference_impl.que import KeyScheme


def snapshot(admin: redis.Redis, keys: KeyScheme | None = None) -> dict[str, Any]:
    """Every key of the scheme, by kind. ``admin`` talks to Redis directly (no proxy)."""
    keys = keys or KeyScheme()
    ns = keys.namespace
    snap: dict[str, Any] = {"queue": [], "old": {}, "new": {}, "idempotency": {}, "other": {}}
    for key in sorted(admin.scan_iter(match=keys.pattern(), count=1000)):
        kind = admin.type(key)
        if key == keys.queue and kind == "list":
            snap["queue"] = admin.lrange(key, 0, -1)
        elif key.startswith(f"{ns}:jobs:") and kind == "hash":
            snap["old"][key.removeprefix(f"{ns}:jobs:")] = admin.hgetall(key)
        elif key.startswith(f"{ns}:job:") and kind == "hash":
            snap["new"][key.removeprefix(f"{ns}:job:")] = admin.hgetall(key)
        elif key.startswith(f"{ns}:idempotency:") and kind == "string":
            snap["idempotency"][key.removeprefix(f"{ns}:idempotency:")] = admin.get(key)
        else:
            snap["other"][key] = kind
    return snap
