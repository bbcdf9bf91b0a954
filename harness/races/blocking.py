"""Is a worker blocked inside its database? The detector kinds, and what they are told.

As PostgreSQL's isolation tester does it: after releasing a worker, the
scheduler waits for its next point; while it waits it asks the detector whether
the worker is waiting on a lock held by another. A blocked worker is marked so
and the schedule moves on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from harness.registry import Registry


@dataclass(frozen=True)
class WorkerView:
    """What a detector may know of a worker: its OS pid and its database backends."""

    name: str
    pid: int
    backend_pids: tuple[int, ...]


class BlockingDetector(Protocol):
    def is_blocked(self, worker: WorkerView, workers: Sequence[WorkerView]) -> bool:
        """Is ``worker`` waiting on a lock right now (asked while its step runs)?"""

    def confirm_blocked(self, worker: WorkerView, workers: Sequence[WorkerView]) -> bool:
        """Asked after another step may have released the lock: still blocked? May wait
        until the answer is certain (a busy-waiting SQLite worker retries only later)."""

    def close(self) -> None: ...


#: Third parties add detectors through entry points of ``fault_harness.blocking_detectors``.
_KINDS: Registry[Callable[..., BlockingDetector]] = Registry(
    "blocking detector", group="fault_harness.blocking_detectors"
)


def register_detector(
    name: str,
) -> Callable[[Callable[..., BlockingDetector]], Callable[..., BlockingDetector]]:
    def decorate(factory: Callable[..., BlockingDetector]) -> Callable[..., BlockingDetector]:
        return _KINDS.add(name, factory)

    return decorate


def _builtin() -> None:
    import harness.races.blocking_pg
    import harness.races.blocking_sqlite  # noqa: F401 - they register themselves


def make_detector(kind: str, **params: Any) -> BlockingDetector:
    """``make_detector("postgres", dsn=...)`` or ``make_detector("sqlite")``."""
    _builtin()
    return _KINDS.get(kind)(**params)


def detector_kinds() -> list[str]:
    _builtin()
    return _KINDS.names()
