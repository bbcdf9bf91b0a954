"""How scenarios connect the queue to Redis: no transparent retries, bounded waits.

redis-py retries a command (even a whole MULTI/EXEC) on a connection error by
default; that would hide each fault from the queue code and, after a lost
reply, silently send the write twice. The scenarios turn it off, so every
fault reaches the queue and the *application's* retry (same request id) is
what gets tested.
"""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from reference_impl.que import DualWriteMetrics, JobQueue, KeyScheme, QueueConfig, make_queue

#: A backstop only: lost replies are made by a toxic that closes the connection, so no
#: scenario waits on this; generous, so a loaded machine never turns a slow reply
#: into a spurious "unknown outcome".
REPLY_TIMEOUT_S = 5.0


def connect(
    host: str, port: int, db: int = 0, timeout_s: float = REPLY_TIMEOUT_S, retries: int = 0
) -> redis.Redis:
    """``retries``: redis-py's own re-sends after a connection error (0: none; its
    default is 3, with jittered backoff; here without backoff, so runs replay)."""
    return redis.Redis(
        host=host,
        port=port,
        db=db,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(NoBackoff(), retries),
        # RESP2 and no CLIENT SETINFO: a (re)connection sends nothing before the
        # command itself (redis-py 8 defaults to a HELLO 3 handshake), so a
        # reply-dropping toxic hits the commands, not the handshake.
        protocol=2,
        driver_info=None,
        decode_responses=True,
    )


def build_queue(
    variant: str,
    client: redis.Redis,
    *,
    new_schema: bool = True,
    namespace: str = "ai",
    metrics: DualWriteMetrics | None = None,
) -> JobQueue:
    config = QueueConfig(new_schema=new_schema, keys=KeyScheme(namespace))
    return make_queue(variant, client, config, metrics or DualWriteMetrics())
