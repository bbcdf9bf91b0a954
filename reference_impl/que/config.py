"""What a queue instance is configured with: the migration flag, keys, TTL, clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from reference_impl.que.keys import KeyScheme

#: The seed's idempotency keys live for a day (``ex=86400``).
DEFAULT_IDEMPOTENCY_TTL_S = 86_400


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class QueueConfig:
    """One queue's settings.

    ``new_schema`` is the seed's ``AI_JOBS_NEW_SCHEMA`` flag, held per instance
    instead of read from the environment at import, so one process can run a
    queue before and after the flag flips (the migration-lag scenarios).
    """

    new_schema: bool = True
    keys: KeyScheme = field(default_factory=KeyScheme)
    idempotency_ttl_s: int = DEFAULT_IDEMPOTENCY_TTL_S
    clock: Callable[[], datetime] = utc_now

    def __post_init__(self) -> None:
        # Checked here, not left to Redis: a bad TTL makes SET ... EX fail *after*
        # the job was written (a script does not roll back).
        ttl = self.idempotency_ttl_s
        if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
            raise ValueError(f"idempotency_ttl_s must be a positive integer, got {ttl!r}")
