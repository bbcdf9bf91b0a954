"""Replaying the DLQ into a real PostgreSQL: attempts, eviction, unreadable files, idempotency."""

from __future__ import annotations

import random
from pathlib import Path

import psycopg
import pytest

from reference_impl.trc import FIXED, PREFIX, SEED, replay, write_batch
from scenarios.trc import trcdb
from scenarios.trc.batches import make_batch


def _spans(conn: psycopg.Connection) -> int:
    return len(trcdb.snapshot(conn)["spans"])


def _break_spans(conn: psycopg.Connection) -> None:
    """A real failure of every write: the spans table is not there."""
    conn.execute("ALTER TABLE spans RENAME TO spans_away")


def test_replay_stores_the_batch_and_removes_its_file(
    trc_conn, make_dlq, variant, rng: random.Random
) -> None:
    conn, dlq = trc_conn(variant), make_dlq(variant)
    batch = make_batch(rng, "acme")
    dlq.enqueue(batch)
    report = replay(conn, dlq)
    assert report.stored == [batch.batch_id]
    assert report.listed == [f"{batch.batch_id}.json"] and report.taken == []
    assert dlq.pending() == []
    assert _spans(conn) == 2


def test_eviction_after_exactly_max_retries_real_attempts(
    trc_conn, make_dlq, variant, rng: random.Random
) -> None:
    conn, dlq = trc_conn(variant), make_dlq(variant, max_retries=3)
    dlq.enqueue(make_batch(rng, "acme"))
    _break_spans(conn)
    for attempt in (1, 2):
        report = replay(conn, dlq)
        assert [e.attempts for e in dlq.pending()] == [attempt]
        assert report.evicted == []
    report = replay(conn, dlq)  # the third and last attempt
    assert len(report.failed) == 1 and len(report.evicted) == 1
    assert dlq.pending() == []
    assert [p.name.split(".")[1] for p in (dlq.dir / "evicted").iterdir()] == ["a3"]


def test_a_file_left_at_its_limit_by_a_crash_is_evicted_without_another_attempt(
    trc_conn, make_dlq, rng: random.Random
) -> None:
    conn, dlq = trc_conn(FIXED), make_dlq(FIXED, max_retries=3)
    dlq.enqueue(make_batch(rng, "acme"))
    for _ in range(3):
        dlq.count_attempt(dlq.pending()[0])
    report = replay(conn, dlq)
    assert report.failed == [] and len(report.evicted) == 1 and _spans(conn) == 0


UNREADABLE = {
    "empty": b"",
    "torn": b'{"format": "trc-dlq", "version": 1, "sha256": "ab", "batch": {"batch_',
    "foreign": b'{"kind": "someone else\'s file"}',
}


@pytest.mark.parametrize("kind", list(UNREADABLE))
def test_fixed_sets_an_unreadable_file_aside_without_spending_a_slot(
    trc_conn, make_dlq, rng: random.Random, kind: str
) -> None:
    conn, dlq = trc_conn(FIXED), make_dlq(FIXED)
    good = make_batch(rng, "acme")
    dlq.enqueue(good)
    bad = dlq.dir / "0badf11e.json"
    bad.write_bytes(UNREADABLE[kind])
    report = replay(conn, dlq)
    assert report.set_aside == [(bad.name, kind, report.set_aside[0][2])]
    assert report.stored == [good.batch_id] and report.failed == []
    assert (dlq.dir / "set-aside" / bad.name).read_bytes() == UNREADABLE[kind]  # kept unread
    assert dlq.pending() == []


@pytest.mark.parametrize("v", [PREFIX, SEED])
def test_pre_fix_spends_a_slot_per_pass_on_a_torn_file_until_eviction(
    trc_conn, make_dlq, v, rng: random.Random
) -> None:
    conn, dlq = trc_conn(v), make_dlq(v, max_retries=2)
    (dlq.dir / "0badf11e.json").write_bytes(UNREADABLE["torn"])
    assert replay(conn, dlq).failed == ["0badf11e.a1.json"]
    report = replay(conn, dlq)
    assert report.failed == ["0badf11e.a2.json"] and report.evicted == ["0badf11e.a2.json"]


def test_fixed_sets_aside_a_file_holding_an_invalid_batch(
    trc_conn, make_dlq, rng: random.Random
) -> None:
    from dataclasses import replace

    from reference_impl.trc.envelope import encode

    conn, dlq = trc_conn(FIXED), make_dlq(FIXED)
    bad = replace(make_batch(rng, "acme"), tenant_id="")
    (dlq.dir / f"{bad.batch_id}.json").write_bytes(encode(bad))
    report = replay(conn, dlq)
    assert [k for _, k, _ in report.set_aside] == ["invalid"] and _spans(conn) == 0


def test_replaying_a_batch_already_committed(
    trc_conn, make_dlq, variant, rng: random.Random
) -> None:
    """The crash after COMMIT and before the file's removal, re-run by hand."""
    conn, dlq = trc_conn(variant), make_dlq(variant)
    batch = make_batch(rng, "acme")
    dlq.enqueue(batch)
    write_batch(conn, batch, variant)  # the first replay's commit
    replay(conn, dlq)  # the file was still there
    assert _spans(conn) == (2 if variant is FIXED else 4)
    assert dlq.pending() == []


def test_a_pass_stops_at_a_lost_connection(
    trc_conn, make_dlq, rng: random.Random, dlq_dir: Path
) -> None:
    conn, dlq = trc_conn(FIXED), make_dlq(FIXED)
    for _ in range(3):
        dlq.enqueue(make_batch(rng, "acme"))
    conn.close()
    report = replay(conn, dlq)
    assert report.stopped is not None and "unreachable" in report.stopped
    assert sorted(e.attempts for e in dlq.pending()) == [0, 0, 1]  # one slot, not three
