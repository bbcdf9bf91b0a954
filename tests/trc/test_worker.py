"""The worker: acknowledge only what is committed or in the DLQ; reject what can never be stored."""

from __future__ import annotations

import dataclasses
import random
import shutil

import pytest

from reference_impl.trc import FIXED, MemorySource, Outcome, Worker, replay
from scenarios.trc import trcdb
from scenarios.trc.batches import make_batch


def _worker(conn, dlq) -> Worker:
    return Worker(lambda: conn, dlq)


def test_stored_batches_are_acknowledged(trc_conn, make_dlq, variant, rng) -> None:
    conn, dlq = trc_conn(variant), make_dlq(variant)
    batches = [make_batch(rng, "acme") for _ in range(3)]
    source = MemorySource(batches)
    assert _worker(conn, dlq).run(source) == [Outcome.STORED] * 3
    assert source.acked == [b.batch_id for b in batches]
    assert len(trcdb.snapshot(conn)["traces"]) == 3


def test_an_invalid_batch_is_rejected_to_its_source_and_nothing_is_written(
    trc_conn, make_dlq, variant, rng
) -> None:
    conn, dlq = trc_conn(variant), make_dlq(variant)
    bad = dataclasses.replace(make_batch(rng, "acme"), tenant_id=None)
    source = MemorySource([bad])
    assert _worker(conn, dlq).run(source) == [Outcome.REJECTED]
    assert source.acked == [] and "no tenant_id" in source.rejected[bad.batch_id]
    assert trcdb.snapshot(conn)["traces"] == [] and dlq.pending() == []


def test_a_failed_write_is_dead_lettered_then_acknowledged_and_replay_stores_it(
    trc_conn, make_dlq, rng
) -> None:
    conn, dlq = trc_conn(FIXED), make_dlq(FIXED)
    conn.execute("ALTER TABLE logs RENAME TO logs_away")
    batch = make_batch(rng, "acme")
    source = MemorySource([batch])
    assert _worker(conn, dlq).run(source) == [Outcome.DEAD_LETTERED]
    assert source.acked == [batch.batch_id]
    assert conn.execute("SELECT count(*) FROM traces").fetchone() == (0,)  # rolled back whole
    assert [e.stem for e in dlq.pending()] == [batch.batch_id]
    conn.execute("ALTER TABLE logs_away RENAME TO logs")
    assert replay(conn, dlq).stored == [batch.batch_id]
    assert len(trcdb.snapshot(conn)["logs"]) == 4


def test_a_batch_the_dlq_cannot_take_is_not_acknowledged(trc_conn, make_dlq, rng) -> None:
    conn, dlq = trc_conn(FIXED), make_dlq(FIXED)
    conn.execute("ALTER TABLE logs RENAME TO logs_away")
    shutil.rmtree(dlq.dir)
    batch = make_batch(rng, "acme")
    source = MemorySource([batch])
    with pytest.raises(FileNotFoundError):
        _worker(conn, dlq).process_one(source)
    assert source.acked == [] and [b.batch_id for b in source.waiting] == [batch.batch_id]


def test_a_lost_connection_is_replaced_for_the_next_batch(pg_database_factory, make_dlq) -> None:
    dsn = trcdb.fresh(pg_database_factory, FIXED).dsn
    opened = []

    def connect():
        opened.append(trcdb.connect(dsn))
        return opened[-1]

    worker = Worker(connect, make_dlq(FIXED))
    rng = random.Random(3)
    source = MemorySource([make_batch(rng, "acme"), make_batch(rng, "acme")])
    assert worker.process_one(source) is Outcome.STORED
    with trcdb.connect(dsn) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (opened[0].info.backend_pid,))
    assert worker.process_one(source) is Outcome.DEAD_LETTERED  # its server ended it
    source.waiting.append(make_batch(rng, "acme"))
    assert worker.process_one(source) is Outcome.STORED
    assert len(opened) == 2
    worker.close()
    for conn in opened:
        conn.close()
