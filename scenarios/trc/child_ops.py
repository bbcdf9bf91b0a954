"""What runs in a harness child (or, for recovery, in the scenario's own process).

Every argument is picklable (a DSN, a directory, a variant name): the child opens
its own connections. The source is ``FileSource``: a durable source, as a broker
is, whose acknowledgements survive the worker's death (one line each, fsynced),
so the scenario knows what was acknowledged even when the worker was killed.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import random
from collections.abc import Sequence
from pathlib import Path

import psycopg

from harness.crash.child import record, report_backend_pid
from reference_impl.trc import Batch, Dlq, Worker, replay, variant
from reference_impl.trc.batch import Batch as _Batch
from scenarios.trc import trcdb

BATCHES = "batches.json"
ACKED = "acked"
REJECTED = "rejected"


def write_source(directory: Path, batches: Sequence[Batch]) -> None:
    import json

    directory.mkdir(parents=True, exist_ok=True)
    (directory / BATCHES).write_text(json.dumps([b.to_dict() for b in batches]))
    for name in (ACKED, REJECTED):
        (directory / name).write_text("")


def acked(directory: Path) -> list[str]:
    return (directory / ACKED).read_text().split()


def rejected(directory: Path) -> list[str]:
    return [line.split("\t", 1)[0] for line in (directory / REJECTED).read_text().splitlines()]


class FileSource:
    """A durable source in ``directory``: batches, and the ids acknowledged or rejected."""

    def __init__(self, directory: str) -> None:
        import json

        self.dir = Path(directory)
        self.batches = [_Batch.from_dict(d) for d in json.loads((self.dir / BATCHES).read_text())]

    def _settled(self) -> set[str]:
        return {*acked(self.dir), *rejected(self.dir)}

    def take(self) -> Batch | None:
        settled = self._settled()
        return next((b for b in self.batches if b.batch_id not in settled), None)

    def ack(self, batch_id: str) -> None:
        with record("ack", batch_id):
            _append(self.dir / ACKED, f"{batch_id}\n")

    def reject(self, batch_id: str, reason: str) -> None:
        with record("reject", batch_id):
            _append(self.dir / REJECTED, f"{batch_id}\t{reason}\n")


def _append(path: Path, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _connect(dsn: str) -> psycopg.Connection:
    conn = trcdb.connect(dsn)
    report_backend_pid(conn.info.backend_pid)  # the race scheduler sees its row locks
    return conn


def ingest(
    dsn: str, dlq_dir: str, source_dir: str, variant_name: str, max_retries: int
) -> dict[str, list[str]]:
    """A worker draining the source: every batch stored, dead-lettered or rejected; the
    outcomes, and the warnings the pipeline logged on the way."""
    dlq = Dlq(dlq_dir, variant(variant_name), max_retries)
    worker = Worker(lambda: _connect(dsn), dlq)
    # kept, never flushed: a buffer far larger than one op's warnings
    warnings = logging.handlers.BufferingHandler(capacity=1 << 16)
    warnings.setLevel(logging.WARNING)
    logger = logging.getLogger("reference_impl.trc")
    logger.addHandler(warnings)
    try:
        outcomes = [str(o) for o in worker.run(FileSource(source_dir))]
    finally:
        logger.removeHandler(warnings)
        worker.close()
    return {"outcomes": outcomes, "warnings": [r.getMessage() for r in warnings.buffer]}


def replay_pass(dsn: str, dlq_dir: str, variant_name: str, max_retries: int) -> dict[str, object]:
    """One replay pass over the DLQ; its report as plain data."""
    dlq = Dlq(dlq_dir, variant(variant_name), max_retries)
    with _connect(dsn) as conn:
        report = replay(conn, dlq)
    return {
        "stored": report.stored,
        "failed": report.failed,
        "evicted": report.evicted,
        "set_aside": [list(s) for s in report.set_aside],
        "stopped": report.stopped,
        "listed": report.listed,
        "taken": report.taken,
    }


def start_and_replay(
    dsn: str, dlq_dir: str, variant_name: str, max_retries: int
) -> dict[str, object]:
    """An instance starting: it sweeps the temp files of enqueues that never returned (run at
    start, ``Dlq.sweep_temp``), then makes one replay pass; the pass's report and the temp
    files it swept."""
    swept = Dlq(dlq_dir, variant(variant_name), max_retries).sweep_temp()
    return {
        **replay_pass(dsn, dlq_dir, variant_name, max_retries),
        "swept": [p.name for p in swept],
    }


def migrate_up(dsn: str, variant_name: str) -> list[int]:
    from reference_impl.trc import migrate

    with _connect(dsn) as conn:
        return migrate.upgrade(conn, variant(variant_name))


def replay_twice(
    dsn: str, dlq_dir: str, variant_name: str, max_retries: int, batch: Batch
) -> dict[str, object]:
    """A replay pass, the same batch dead-lettered again (its source delivered it twice),
    another pass."""
    first = replay_pass(dsn, dlq_dir, variant_name, max_retries)
    Dlq(dlq_dir, variant(variant_name), max_retries).enqueue(batch)
    second = replay_pass(dsn, dlq_dir, variant_name, max_retries)
    return {"first": first["stored"], "second": second["stored"]}


def hammer_step(
    dsn: str,
    dlq_dir: str,
    variant_name: str,
    tenants: Sequence[str],
    trace_pool: Sequence[str],
    rng: random.Random,
) -> str:
    """One hammering op: a batch of a random tenant on a trace id from a small pool shared
    by every tenant (trace context crosses tenants), ingested by a worker, or dead-lettered
    and replayed (a third of the time), so ingestion and replay run at once."""
    from reference_impl.trc import MemorySource
    from scenarios.trc.batches import make_batch

    v = variant(variant_name)
    tenant = rng.choice(list(tenants))
    batch = make_batch(rng, tenant, trace_ids=[rng.choice(list(trace_pool))])
    with trcdb.connect(dsn) as conn:
        dlq = Dlq(dlq_dir, v, 3)
        if rng.random() < 1 / 3:
            dlq.enqueue(batch)
            return f"replayed {len(replay(conn, dlq).stored)}"
        return str(Worker(lambda: conn, dlq).process_one(MemorySource([batch])))
