"""The migrations: dedup then unique keys, idempotent, reversible, on a real PostgreSQL."""

from __future__ import annotations

import random

import psycopg
import pytest

from reference_impl.trc import FIXED, PREFIX, SEED, MigrationError, migrate, write_batch
from scenarios.trc import trcdb
from scenarios.trc.batches import make_batch


@pytest.fixture
def conn(pg_db):
    with trcdb.connect(pg_db.dsn) as c:
        yield c


def _distinct(rows: list[dict]) -> set[tuple]:
    return {tuple(r.values()) for r in rows}


def _seed_duplicates(conn: psycopg.Connection) -> None:
    rng = random.Random(5)
    migrate.upgrade(conn, SEED)
    batch = make_batch(rng, "acme", traces=2)
    for _ in range(3):  # three replays before the keys existed
        write_batch(conn, batch, SEED)
    write_batch(conn, make_batch(rng, "umbra"), SEED)


def test_each_variant_migrates_to_its_head(conn) -> None:
    assert migrate.upgrade(conn, PREFIX) == [1]
    assert migrate.upgrade(conn, SEED) == []
    assert migrate.upgrade(conn, FIXED) == [2, 3]
    assert migrate.applied(conn) == [1, 2, 3] and migrate.head() == 3


def test_the_dedup_migration_keeps_exactly_one_copy_of_each_row(conn) -> None:
    _seed_duplicates(conn)
    before = trcdb.snapshot(conn)
    assert len(before["spans"]) == 3 * 4 + 2 and len(before["logs"]) == 3 * 8 + 4
    migrate.upgrade(conn, FIXED)
    after = trcdb.snapshot(conn)
    assert _distinct(after["spans"]) == _distinct(before["spans"]) and len(after["spans"]) == len(
        _distinct(before["spans"])
    )
    assert _distinct(after["logs"]) == _distinct(before["logs"]) and len(after["logs"]) == len(
        _distinct(before["logs"])
    )
    assert after["traces"] == before["traces"]
    assert "spans_tenant_trace_span_key" in after["indexes"]
    assert "logs_tenant_span_seq_key" in after["indexes"]


def test_migrations_are_idempotent(conn) -> None:
    _seed_duplicates(conn)
    migrate.upgrade(conn, FIXED)
    schema = trcdb.snapshot(conn)
    assert migrate.upgrade(conn, FIXED) == []
    for version in (1, 2, 3)[1:]:
        migrate.run_up_sql(conn, version)  # the SQL itself, run again: no error, no change
    assert trcdb.snapshot(conn) == schema


def test_down_restores_the_old_schema_and_up_again_works(conn) -> None:
    _seed_duplicates(conn)
    old = trcdb.snapshot(conn)["indexes"]
    migrate.upgrade(conn, FIXED)
    assert migrate.downgrade(conn, 1) == [3, 2]
    assert trcdb.snapshot(conn)["indexes"] == old
    assert migrate.downgrade(conn, 1) == []
    assert migrate.upgrade(conn, FIXED) == [2, 3]
    assert migrate.downgrade(conn, 0) == [3, 2, 1]
    assert conn.execute("SELECT to_regclass('spans')").fetchone() == (None,)


def test_down_refuses_when_two_tenants_share_a_trace_id(conn) -> None:
    migrate.upgrade(conn, FIXED)
    rng = random.Random(9)
    shared = make_batch(rng, "acme").traces[0].trace_id
    for tenant in ("acme", "umbra"):
        write_batch(conn, make_batch(rng, tenant, trace_ids=[shared]), FIXED)
    with pytest.raises(MigrationError, match="cannot revert migration 002"):
        migrate.downgrade(conn, 1)
    assert migrate.applied(conn) == [1, 2]  # 003 was reverted; 002 stayed whole


def test_the_runner_owns_its_transactions(pg_db) -> None:
    with psycopg.connect(pg_db.dsn) as c, pytest.raises(MigrationError, match="autocommit"):
        migrate.upgrade(c, FIXED)


def test_an_unknown_version_is_named(conn) -> None:
    with pytest.raises(MigrationError, match="no migration 009"):
        migrate.run_up_sql(conn, 9)
