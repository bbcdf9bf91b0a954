"""QUE: a Redis job queue with a dual-write key migration (seed 003), in three variants.

``prefix`` as the seed found it, ``seed`` exactly as the seed proposes to fix
it, ``fixed`` the reference design. ``make_queue(variant, client, config)``.
"""

from reference_impl.que.base import EnqueueResult, JobQueue
from reference_impl.que.config import QueueConfig
from reference_impl.que.errors import JobNotFound, QueueError, SchemaWriteError
from reference_impl.que.keys import KeyScheme
from reference_impl.que.metrics import DualWriteMetrics
from reference_impl.que.validation import InvalidInput
from reference_impl.que.variants import VARIANTS, make_queue

__all__ = [
    "VARIANTS",
    "DualWriteMetrics",
    "EnqueueResult",
    "InvalidInput",
    "JobNotFound",
    "JobQueue",
    "KeyScheme",
    "QueueConfig",
    "QueueError",
    "SchemaWriteError",
    "make_queue",
]
