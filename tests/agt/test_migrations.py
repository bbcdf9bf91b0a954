"""AGT schema and migrations against a real PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest

from reference_impl.agt import MigrationError, Variants, migrate
from scenarios.agt import agtdb

PREFIX = Variants.only("AGT-8", "prefix")


def _conn(db) -> psycopg.Connection:
    return psycopg.connect(db.dsn, autocommit=True)


def test_upgrade_applies_every_migration_once(pg_db) -> None:
    with _conn(pg_db) as conn:
        assert migrate.upgrade(conn) == [1, 2]
        assert migrate.upgrade(conn) == []
        assert migrate.applied(conn) == [1, 2]


def test_up_sql_run_twice_is_a_no_op(pg_db) -> None:
    with _conn(pg_db) as conn:
        migrate.upgrade(conn)
    before = agtdb.schema_of(pg_db.dsn)
    with _conn(pg_db) as conn:
        migrate.run_up_sql(conn, 2)
        migrate.run_up_sql(conn, 2)
    assert agtdb.schema_of(pg_db.dsn) == before


def test_prefix_up_sql_fails_when_run_twice(pg_db) -> None:
    with _conn(pg_db) as conn:
        migrate.upgrade(conn, PREFIX)
        with pytest.raises(psycopg.errors.DuplicateColumn):
            migrate.run_up_sql(conn, 2, PREFIX)


def test_down_restores_the_old_schema_and_is_repeatable(pg_db) -> None:
    with _conn(pg_db) as conn:
        migrate.upgrade(conn, target=1)
    old = agtdb.schema_of(pg_db.dsn)
    with _conn(pg_db) as conn:
        migrate.upgrade(conn)
        assert migrate.downgrade(conn, 1) == [2]
        assert migrate.downgrade(conn, 1) == []
    assert agtdb.schema_of(pg_db.dsn) == old
    with _conn(pg_db) as conn:
        assert migrate.upgrade(conn) == [2]
        assert any(c[1] == "retry_count" for c in agtdb.schema_of(pg_db.dsn)["columns"])


def test_runner_refuses_a_connection_in_transaction_mode(pg_db) -> None:
    with psycopg.connect(pg_db.dsn) as conn, pytest.raises(MigrationError, match="autocommit"):
        migrate.upgrade(conn)


def test_every_migration_has_up_and_down() -> None:
    loaded = migrate.load()
    assert [m.version for m in loaded] == [1, 2]
    assert all(m.up.strip() and m.down.strip() for m in loaded)
    assert "IF NOT EXISTS" in loaded[1].up and "IF NOT EXISTS" not in (loaded[1].prefix_up or "")
