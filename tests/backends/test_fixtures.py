"""The server fixtures against real servers: clean databases, setup once, restart after a kill."""

from __future__ import annotations

import os
import sqlite3

import pytest

from harness.backends.isolation import PgDatabase

SCHEMA = """
CREATE TABLE jobs (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE runs (id bigserial PRIMARY KEY, job_id int REFERENCES jobs(id));
CREATE SEQUENCE ticket;
"""
calls: list[str] = []


def make_schema(dsn: str) -> None:
    import psycopg

    calls.append(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)


def seeded(dsn: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE kinds (name text PRIMARY KEY); INSERT INTO kinds VALUES ('a'), ('b')"
        )


def test_pg_server_answers(pg_server) -> None:
    assert pg_server.kind == "postgres" and pg_server.owned
    with pg_server.connect() as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_factory_runs_setup_once_and_returns_clean_databases(pg_database_factory) -> None:
    before = len(calls)
    first: PgDatabase = pg_database_factory("fixtures-jobs", make_schema)
    assert pg_database_factory._keys["fixtures-jobs"].strategy == "delete"  # we are superuser
    with first.connect(autocommit=True) as conn:
        conn.execute("INSERT INTO jobs (name) VALUES ('x'), ('y')")
        conn.execute("SELECT nextval('ticket')")
    open_conn = first.connect()  # left open, in a transaction: must not block the reset
    open_conn.execute("SELECT count(*) FROM jobs")
    again = pg_database_factory("fixtures-jobs", make_schema)
    assert len(calls) == before + 1
    assert again.name == first.name
    with again.connect(autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM jobs").fetchone() == (0,)
        assert conn.execute("INSERT INTO jobs (name) VALUES ('z') RETURNING id").fetchone() == (1,)
        assert conn.execute("SELECT nextval('ticket')").fetchone() == (1,)
    assert open_conn.broken or open_conn.closed or _dead(open_conn)
    open_conn.close()


def _dead(conn) -> bool:
    import psycopg

    try:
        conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return True
    return False


@pytest.mark.parametrize("reset", ["delete", "truncate"])
def test_both_resets_empty_every_table_and_sequence(pg_server, reset: str) -> None:
    from harness.backends.isolation import PgDatabaseFactory

    factory = PgDatabaseFactory(pg_server, prefix=f"r{reset[0]}", reset=reset)
    db = factory("both", make_schema)
    assert factory._keys["both"].strategy == reset
    with db.connect(autocommit=True) as conn:
        conn.execute("INSERT INTO jobs (name) VALUES ('x')")
        conn.execute("INSERT INTO runs (job_id) VALUES (1)")  # a foreign key into jobs
        conn.execute("SELECT nextval('ticket')")
    db = factory("both", make_schema)
    with db.connect() as conn:
        assert conn.execute(
            "SELECT (SELECT count(*) FROM jobs) + (SELECT count(*) FROM runs)"
        ).fetchone() == (0,)
        assert conn.execute("SELECT nextval('ticket'), nextval('jobs_id_seq')").fetchone() == (1, 1)
    factory.close()


def test_a_mutation_runs_schema_is_made_again_under_each_mutant(pg_server, monkeypatch) -> None:
    # harness mutate: a schema made under one mutant is not another's (its setup may run
    # mutated SQL), and the databases made for the last one are dropped, not kept
    from harness.backends.isolation import PgDatabaseFactory
    from harness.mutate.runtime import ENV_MUTANT

    made: list[str] = []

    def setup(dsn: str) -> None:
        made.append(os.environ.get(ENV_MUTANT, ""))
        make_schema(dsn)

    factory = PgDatabaseFactory(pg_server, prefix="mut")
    monkeypatch.delenv(ENV_MUTANT, raising=False)
    first = factory("schema", setup)
    factory("schema", setup)
    monkeypatch.setenv(ENV_MUTANT, "m.py::f:1:number:0")
    factory("schema", setup)
    factory("schema", setup)
    monkeypatch.setenv(ENV_MUTANT, "")
    factory("schema", setup)
    assert made == ["", "m.py::f:1:number:0", ""]
    with pg_server.connect() as admin:
        names = [r[0] for r in admin.execute("SELECT datname FROM pg_database").fetchall()]
    assert names.count(first.name) == 1  # made again under the same name, the others dropped
    assert [n for n in names if n.startswith("mut_")] == [first.name]
    factory.close()


def test_factory_keeps_rows_that_setup_inserted(pg_database_factory) -> None:
    db = pg_database_factory("fixtures-seeded", seeded)
    assert pg_database_factory._keys["fixtures-seeded"].strategy == "clone"
    with db.connect(autocommit=True) as conn:
        conn.execute("DELETE FROM kinds WHERE name = 'a'")
        conn.execute("INSERT INTO kinds VALUES ('c')")
    db = pg_database_factory("fixtures-seeded", seeded)
    with db.connect() as conn:
        assert conn.execute("SELECT name FROM kinds ORDER BY 1").fetchall() == [("a",), ("b",)]


def test_factory_survives_a_killed_server(pg_server, pg_database_factory) -> None:
    db = pg_database_factory("fixtures-jobs", make_schema)
    with db.connect(autocommit=True) as conn:
        conn.execute("INSERT INTO jobs (name) VALUES ('committed')")
    port = pg_server.port
    pg_server.kill()
    assert not pg_server.is_running()
    db = pg_database_factory("fixtures-jobs", make_schema)  # restarts the server, then resets
    assert pg_server.is_running() and pg_server.port == port
    with db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM jobs").fetchone() == (0,)


def test_pg_db_is_empty_and_fresh(pg_db) -> None:
    with pg_db.connect(autocommit=True) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()
        assert tables == (0,)
        conn.execute("CREATE TABLE migrated (x int)")


def test_pg_db_another_is_another(pg_db) -> None:
    with pg_db.connect() as conn:
        assert conn.execute("SELECT to_regclass('migrated')").fetchone() == (None,)


@pytest.mark.parametrize("round_", [1, 2])
def test_redis_db_is_clean(redis_db, round_: int) -> None:
    client = redis_db.client()
    assert client.dbsize() == 0
    client.set("left", "behind")
    client.script_load("return 1")


def test_redis_reset_ends_a_lingering_blocking_pop(redis_server) -> None:
    import threading
    import time

    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from harness.backends.isolation import RedisReset

    reset = RedisReset(redis_server)
    db = reset()
    lingering = db.client(retry=Retry(NoBackoff(), 0))  # no silent reconnect after the kill
    popped: list[object] = []
    waiter = threading.Thread(target=lambda: popped.append(_blpop(lingering)))
    waiter.start()
    watcher = db.client()
    for _ in range(2000):  # until the pop is blocked in the server
        if any(c.get("cmd") == "blpop" for c in watcher.client_list()):
            break
        time.sleep(0.005)
    reset()  # a new test starts: the old test's blocked client must not steal its items
    db.client().rpush("queue", "job")
    waiter.join(timeout=10)
    assert not waiter.is_alive() and popped == ["killed"]
    assert db.client().lrange("queue", 0, -1) == [b"job"]
    reset.close()


def _blpop(client) -> object:
    import redis

    try:
        return client.blpop(["queue"], timeout=30)
    except redis.ConnectionError:
        return "killed"


def test_sqlite_path_is_fresh(sqlite_path) -> None:
    assert not sqlite_path.exists()
    with sqlite3.connect(sqlite_path) as conn:
        conn.execute("CREATE TABLE t (x)")
    assert sqlite_path.exists()
