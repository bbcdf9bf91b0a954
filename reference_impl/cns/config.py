"""What a store is opened with: the variant's knobs, the VFS, and injectable time."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from reference_impl.cns.errors import InvalidArgument

VARIANT_NAMES = ("prefix", "seed", "fixed")


def _real_sleep(seconds: float) -> None:
    time.sleep(seconds)


@dataclass(frozen=True)
class StoreConfig:
    """One store's settings.

    ``vfs``: the SQLite VFS every connection opens through (None: the default);
    the disk model registers a recording VFS and passes its name here.
    ``busy_timeout_ms``: None keeps the variant's own value; scenarios that want
    SQLITE_BUSY to reach the retry helper at once set 0.
    ``sleep`` and ``rng``: the retry helper's clock and jitter; tests inject a
    recorder and a seeded generator, so nothing sleeps for real.
    ``pool_size``: connections in the pool (the seed asks for 10).
    ``extra_pragmas``: set before the variant's own (``locking_mode = EXCLUSIVE``
    lets WAL run on a VFS without shared memory, as the disk model's recorder).
    ``dual_write``: write the new tables beside the old ones (the seed's phases 2-3).
    """

    vfs: str | None = None
    extra_pragmas: tuple[tuple[str, object], ...] = ()
    dual_write: bool = True
    busy_timeout_ms: int | None = None
    pool_size: int = 10
    pool_wait_s: float = 30.0
    sleep: Callable[[float], None] = _real_sleep
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.busy_timeout_ms is not None and (
            isinstance(self.busy_timeout_ms, bool)
            or not isinstance(self.busy_timeout_ms, int)
            or self.busy_timeout_ms < 0
        ):
            raise InvalidArgument(
                f"busy_timeout_ms must be a non-negative integer, got {self.busy_timeout_ms!r}"
            )
        if isinstance(self.pool_size, bool) or not isinstance(self.pool_size, int):
            raise InvalidArgument(f"pool_size must be an integer, got {self.pool_size!r}")
        if self.pool_size < 1:
            raise InvalidArgument(f"pool_size must be at least 1, got {self.pool_size}")
        if self.pool_wait_s <= 0:
            raise InvalidArgument(f"pool_wait_s must be positive, got {self.pool_wait_s!r}")


def check_variant(name: str) -> str:
    if name not in VARIANT_NAMES:
        raise InvalidArgument(f"unknown variant {name!r}; known: {', '.join(VARIANT_NAMES)}")
    return name
