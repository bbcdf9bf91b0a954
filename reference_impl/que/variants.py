"""Variants selected at run time by name."""

from __future__ import annotations

import redis

from reference_impl.que.base import JobQueue
from reference_impl.que.config import QueueConfig
from reference_impl.que.fixed import FixedQueue
from reference_impl.que.metrics import DualWriteMetrics
from reference_impl.que.prefix import PrefixQueue
from reference_impl.que.seed import SeedQueue

VARIANTS: dict[str, type[JobQueue]] = {
    cls.variant: cls for cls in (PrefixQueue, SeedQueue, FixedQueue)
}


def make_queue(
    variant: str,
    client: redis.Redis,
    config: QueueConfig | None = None,
    metrics: DualWriteMetrics | None = None,
) -> JobQueue:
    try:
        cls = VARIANTS[variant]
    except KeyError:
        raise ValueError(
            f"unknown queue variant {variant!r}; known: {', '.join(sorted(VARIANTS))}"
        ) from None
    return cls(client, config, metrics)
