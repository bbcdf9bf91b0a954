"""Writing batches to a real PostgreSQL, per variant."""

from __future__ import annotations

import random

import psycopg
import pytest

from harness.crash import at_points
from reference_impl.trc import FIXED, PREFIX, SEED, TrcError, write_batch
from scenarios.trc import trcdb
from scenarios.trc.batches import make_batch


class Boom(Exception):
    """A bug between two writes (the seed's worker panic)."""


def _raise() -> None:
    raise Boom("worker exception between two writes")


def _counts(conn: psycopg.Connection) -> tuple[int, int, int]:
    snap = trcdb.snapshot(conn)
    return len(snap["traces"]), len(snap["spans"]), len(snap["logs"])


def test_a_batch_is_stored_whole(trc_conn, variant, rng: random.Random) -> None:
    conn = trc_conn(variant)
    write_batch(conn, make_batch(rng, "acme", traces=2), variant)
    assert _counts(conn) == (2, 4, 8)


def test_writing_the_same_batch_twice(trc_conn, variant, rng: random.Random) -> None:
    conn = trc_conn(variant)
    batch = make_batch(rng, "acme")
    write_batch(conn, batch, variant)
    write_batch(conn, batch, variant)
    # The trace insert is ON CONFLICT DO NOTHING everywhere; spans and logs only have
    # a key in fixed (TRC-3): before it, the second write duplicates them.
    assert _counts(conn) == ((1, 2, 4) if variant is FIXED else (1, 4, 8))


@pytest.mark.parametrize("point", ["trc.write.after_traces", "trc.write.after_spans"])
def test_an_exception_between_writes(trc_conn, variant, rng: random.Random, point: str) -> None:
    conn = trc_conn(variant)
    batch = make_batch(rng, "acme")
    with at_points({point: _raise}), pytest.raises(Boom):
        write_batch(conn, batch, variant)
    if variant is PREFIX:
        assert _counts(conn) == ((1, 0, 0) if point.endswith("traces") else (1, 2, 0))
    else:
        assert _counts(conn) == (0, 0, 0)  # the whole batch rolled back


def test_pre_fix_tolerates_a_trace_error_and_stores_the_spans(trc_conn, rng: random.Random) -> None:
    conn = trc_conn(PREFIX)
    conn.execute("ALTER TABLE traces ADD CONSTRAINT short_names CHECK (length(name) < 5)")
    write_batch(conn, make_batch(rng, "acme"), PREFIX)
    assert _counts(conn) == (0, 2, 4)  # spans and logs without their trace


def test_seed_aborts_the_batch_on_a_trace_error(trc_conn, rng: random.Random) -> None:
    conn = trc_conn(SEED)
    conn.execute("ALTER TABLE traces ADD CONSTRAINT short_names CHECK (length(name) < 5)")
    with pytest.raises(psycopg.errors.CheckViolation):
        write_batch(conn, make_batch(rng, "acme"), SEED)
    assert _counts(conn) == (0, 0, 0)


def test_fixed_needs_its_schema(trc_conn, rng: random.Random) -> None:
    conn = trc_conn(SEED)  # schema at migration 1: no tenant keys
    with pytest.raises(psycopg.errors.InvalidColumnReference):
        write_batch(conn, make_batch(rng, "acme"), FIXED)


def test_the_store_refuses_a_connection_in_a_transaction(trc_conn, rng: random.Random) -> None:
    conn = trc_conn(FIXED)
    conn.autocommit = False
    with pytest.raises(TrcError, match="autocommit=True"):
        write_batch(conn, make_batch(rng, "acme"), FIXED)
