"""The worker: take a batch, store it or dead-letter it, then acknowledge it (TRC-1).

The acknowledgement comes last: after the COMMIT, or after the DLQ enqueue
returned. A crash anywhere before it leaves the batch with its source, which
delivers it again; so an acknowledged batch is always stored or in the DLQ (in
the DLQ *durably* only where the enqueue is durable: ``fixed``, TRC-2).

Any exception from the write (a database error, a cut link, a bug between two
writes) sends the batch to the DLQ, like the seed's ``defer recover``. A batch
that fails validation is rejected to its source instead: no replay can store
it. If the DLQ enqueue itself fails, the batch is not acknowledged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum

import psycopg

from harness.crashpoints import crashpoint
from reference_impl.trc.batch import validate
from reference_impl.trc.dlq import Dlq
from reference_impl.trc.errors import InvalidBatch
from reference_impl.trc.source import Source
from reference_impl.trc.store import write_batch

LOG = logging.getLogger("reference_impl.trc")


class Outcome(StrEnum):
    STORED = "stored"
    DEAD_LETTERED = "dead_lettered"
    REJECTED = "rejected"


class Worker:
    def __init__(self, connect: Callable[[], psycopg.Connection], dlq: Dlq) -> None:
        self._connect = connect
        self._conn: psycopg.Connection | None = None
        self.dlq = dlq
        self.variant = dlq.variant

    def run(self, source: Source) -> list[Outcome]:
        """Process batches until the source is empty."""
        out = []
        while (outcome := self.process_one(source)) is not None:
            out.append(outcome)
        return out

    def process_one(self, source: Source) -> Outcome | None:
        batch = source.take()
        if batch is None:
            return None
        crashpoint("trc.worker.took")
        try:
            validate(batch)
        except InvalidBatch as exc:
            source.reject(batch.batch_id, str(exc))
            return Outcome.REJECTED
        try:
            write_batch(self._connection(), batch, self.variant)
        except Exception as exc:  # the seed's recover(): whatever failed, the batch is kept
            LOG.warning("batch %s not stored, dead-lettering it: %s", batch.batch_id, exc)
            crashpoint("trc.worker.write_failed")
            self.dlq.enqueue(batch)
            crashpoint("trc.worker.dead_lettered")
            source.ack(batch.batch_id)
            crashpoint("trc.worker.acked")
            return Outcome.DEAD_LETTERED
        crashpoint("trc.worker.stored")
        source.ack(batch.batch_id)
        crashpoint("trc.worker.acked")
        return Outcome.STORED

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> psycopg.Connection:
        # A connection the server ended is closed (psycopg: broken implies closed): replaced.
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        return self._conn
