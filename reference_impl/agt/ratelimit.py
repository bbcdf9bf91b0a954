"""The per-agent limit on command polling (AGT-5), shared by every server process.

Store: Redis. A limiter is consulted on every poll, so keeping its writes off
the command database matters most exactly when a burst arrives; Redis gives an
atomic check-and-record (one Lua script) and key expiry for free.

Algorithm: a sliding-window log per agent (``agent_checkin:<agent id>``): a poll
is allowed while fewer than ``limit`` polls fall in the last ``window_s``.
Unlike a fixed window it has no boundary at which a burst gets twice the limit.

Policy when Redis is unreachable (stated, and tested by AGT-5): fail open to a
per-process limiter of the same limit. Agents keep getting their commands (the
command database, not Redis, is what the limit protects), each server process
still caps a burst, and the outage is counted in ``store_errors``. The worst
case is ``processes x limit`` polls per window for the duration of the outage.
Each Redis call times out after 0.25 s, connect and reply alike, and a call that
timed out is not tried again, so an unreachable store costs one timeout per poll.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import redis

from reference_impl.agt.clock import Clock
from reference_impl.agt.errors import InvalidArgument

KEY_PREFIX = "agent_checkin:"

_SCRIPT = """
local key, now, window, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local n = redis.call('ZCARD', key)
if n < limit then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
  return {1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, tostring(tonumber(oldest[2]) + window - now)}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after_s: float = 0.0
    source: str = "redis"  # "redis", "local" (fallback during a store outage), "none"


class Limiter(Protocol):
    def check(self, agent_id: str) -> Decision: ...


class NoLimiter:
    """AGT-5 pre-fix: the commands route has no limit."""

    def check(self, agent_id: str) -> Decision:
        return Decision(True, source="none")


class LocalLimiter:
    """A sliding window in this process's memory: the fallback, and for single-process use."""

    def __init__(self, limit: int, window_s: float, clock: Clock) -> None:
        _check_limits(limit, window_s)
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._log: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, agent_id: str) -> Decision:
        now = self.clock.now().timestamp()
        with self._lock:
            log = self._log.setdefault(agent_id, deque())
            while log and log[0] <= now - self.window_s:
                log.popleft()
            if len(log) < self.limit:
                log.append(now)
                return Decision(True, source="local")
            return Decision(False, log[0] + self.window_s - now, source="local")


class RedisLimiter:
    def __init__(self, client: redis.Redis, limit: int, window_s: float, clock: Clock) -> None:
        _check_limits(limit, window_s)
        self.client, self.limit, self.window_s, self.clock = client, limit, window_s, clock
        self.fallback = LocalLimiter(limit, window_s, clock)
        self.store_errors = 0
        self._script = client.register_script(_SCRIPT)
        self._ids = itertools.count()

    @classmethod
    def from_url(cls, url: str, limit: int, window_s: float, clock: Clock) -> RedisLimiter:
        # No retry: redis-py (8.x) retries a connection from a URL only when asked to,
        # and retry_on_timeout=True would make every poll of a silent store cost two.
        client = redis.Redis.from_url(
            url, socket_timeout=0.25, socket_connect_timeout=0.25, retry_on_timeout=False
        )
        return cls(client, limit, window_s, clock)

    def check(self, agent_id: str) -> Decision:
        now = self.clock.now().timestamp()
        member = f"{now:.6f}:{os.getpid()}:{next(self._ids)}"
        try:
            allowed, retry = self._script(
                keys=[KEY_PREFIX + agent_id], args=[now, self.window_s, self.limit, member]
            )
        except (redis.ConnectionError, redis.TimeoutError):
            self.store_errors += 1
            return self.fallback.check(agent_id)
        return Decision(bool(int(allowed)), float(retry), source="redis")


def _check_limits(limit: int, window_s: float) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidArgument(f"rate limit must be an integer >= 1, got {limit!r}")
    if not isinstance(window_s, int | float) or not window_s > 0:
        raise InvalidArgument(f"rate window must be > 0 seconds, got {window_s!r}")
