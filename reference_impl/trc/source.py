"""Where the worker takes batches from, and what it tells that source.

A source keeps a batch until it is acknowledged (the batch is committed or
durably in the DLQ) or rejected (it can never be stored; the source keeps it
with the reason). A batch taken and neither acknowledged nor rejected, because
the worker crashed, is delivered again: at-least-once, like a message broker.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from reference_impl.trc.batch import Batch


class Source(Protocol):
    def take(self) -> Batch | None:
        """The next batch not yet acknowledged or rejected, or None."""

    def ack(self, batch_id: str) -> None: ...

    def reject(self, batch_id: str, reason: str) -> None: ...


class MemorySource:
    """A source held in this process: for tests, and as the shape of a real one."""

    def __init__(self, batches: Iterable[Batch] = ()) -> None:
        self.waiting: list[Batch] = list(batches)
        self.acked: list[str] = []
        self.rejected: dict[str, str] = {}

    def take(self) -> Batch | None:
        return self.waiting[0] if self.waiting else None

    def ack(self, batch_id: str) -> None:
        self._settle(batch_id)
        self.acked.append(batch_id)

    def reject(self, batch_id: str, reason: str) -> None:
        self._settle(batch_id)
        self.rejected[batch_id] = reason

    def _settle(self, batch_id: str) -> None:
        self.waiting = [b for b in self.waiting if b.batch_id != batch_id]
