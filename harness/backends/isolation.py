"""Clean databases between tests, fast: no initdb per test.

PostgreSQL (``PgDatabaseFactory``): the first call for a key creates a database
and runs ``setup(dsn)`` once; every later call returns it clean: the other
sessions on it are ended (a careless test's open transaction or advisory lock
must not leak), then its rows go, one round trip. How, chosen per key:

- *delete* (setup made only a schema; we are superuser): DELETE from every
  table with triggers and foreign-key checks off (``session_replication_role =
  replica``), and every sequence set back to its start, in one transaction
  written out once per key from the catalog. In a bare loop on a small schema
  this took ~0.3 ms where TRUNCATE took 25-45 ms (TRUNCATE swaps every table's
  and index's files); through the factory, on 2 cores shared with other
  suites, the figures are in ``bench/bench_backends.py``'s output. Dead rows are
  left to autovacuum; a test that fills a table with millions of rows pays for
  it here. The tables are those setup made: a test that changes the schema
  uses ``pg_db``.
- *truncate* (the same, without superuser): TRUNCATE ... CASCADE, sequences as above.
- *clone* (setup also inserted rows, which a reset would lose): schema and rows
  live in a template database; each call drops the database and clones it
  again with ``STRATEGY FILE_COPY``. Measured ~20-30 ms unloaded.

Redis (``RedisReset``): an owned server is per worker, so FLUSHALL (plus ending
other clients, which could still hold a blocking pop, and flushing scripts),
one pipelined round trip, ~0.2 ms. An external server may be shared, so only
this worker's own database index is flushed.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
import redis as redis_client
from psycopg import sql

from harness.backends.postgres import PostgresServer
from harness.backends.redis import RedisServer
from harness.mutate.runtime import ENV_MUTANT

_USER_SCHEMAS = (
    "schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname NOT LIKE 'pg\\_%'"
)
TERMINATE_OTHERS = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
USER_TABLES = f"SELECT schemaname, tablename FROM pg_tables WHERE {_USER_SCHEMAS} ORDER BY 1, 2"
USER_SEQUENCES = f"SELECT schemaname, sequencename, start_value FROM pg_sequences WHERE {_USER_SCHEMAS} ORDER BY 1, 2"


def reset_statement(conn: psycopg.Connection[Any], strategy: str) -> str:
    """The reset of one database, written out once from its catalog: one round trip per call.

    Spelled out rather than looked up at each reset (a DO block over pg_tables): 4x
    less server work. A test that changes the schema uses ``pg_db`` instead.
    """
    tables = [sql.Identifier(s, t) for s, t in conn.execute(USER_TABLES).fetchall()]
    steps: list[sql.Composable] = [sql.SQL(TERMINATE_OTHERS), sql.SQL("BEGIN")]
    if tables and strategy == "truncate":
        steps.append(sql.SQL("TRUNCATE {} CASCADE").format(sql.SQL(", ").join(tables)))
    elif tables:
        # Triggers and foreign-key checks off for this transaction only: any order works.
        steps.append(sql.SQL("SET LOCAL session_replication_role = replica"))
        steps += [sql.SQL("DELETE FROM {}").format(t) for t in tables]
    sequences = [
        sql.SQL("setval({}, {}, false)").format(
            sql.Literal(sql.Identifier(s, n).as_string(conn)), sql.Literal(start)
        )
        for s, n, start in conn.execute(USER_SEQUENCES).fetchall()
    ]
    if sequences:
        steps.append(sql.SQL("SELECT ") + sql.SQL(", ").join(sequences))
    steps.append(sql.SQL("COMMIT"))
    return sql.SQL("; ").join(steps).as_string(conn)


ANY_ROWS = f"SELECT format('SELECT 1 FROM %I.%I', schemaname, tablename) FROM pg_tables WHERE {_USER_SCHEMAS}"


@dataclass
class PgDatabase:
    """A database for one test."""

    name: str
    dsn: str
    host: str
    port: int
    server: PostgresServer

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        return psycopg.connect(self.dsn, **kwargs)


def database_name(prefix: str, key: str) -> str:
    """A valid, unique, readable database name (<= 63 bytes) for ``key``."""
    slug = re.sub(r"[^a-z0-9_]+", "_", key.lower()).strip("_")[:32]
    digest = hashlib.sha1(key.encode()).hexdigest()[:6]
    return f"{prefix}_{slug}_{digest}_{os.getpid()}"


def database(server: PostgresServer, name: str) -> PgDatabase:
    return PgDatabase(name, server.dsn(name), server.host, server.port, server)


@dataclass
class _Prepared:
    db: PgDatabase
    strategy: str  # "delete", "truncate" or "clone"
    template: str | None = None
    conn: psycopg.Connection[Any] | None = None
    generation: int = -1
    statement: str = ""


@dataclass
class PgDatabaseFactory:
    """``factory(key, setup)``: a clean database whose schema ``setup(dsn)`` made once per key."""

    server: PostgresServer
    prefix: str = "hf"
    #: force "truncate" (or "delete") for schema-only keys; None picks by privilege.
    reset: str | None = None
    #: told the name of every database handed out (the last one is worth inspecting)
    on_use: Callable[[str], None] | None = None
    _keys: dict[str, _Prepared] = field(default_factory=dict)
    #: the mutant (``harness mutate``) the prepared schemas were made under
    _mutant: str = ""

    def __call__(self, key: str, setup: Callable[[str], None]) -> PgDatabase:
        _ensure_running(self.server)
        mutant = os.environ.get(ENV_MUTANT, "")
        if mutant != self._mutant:
            # A schema made under another mutant (or the original code) is not this
            # mutant's: its setup may run mutated SQL. Made again, the old ones dropped.
            self._drop_all()
            self._mutant = mutant
        prepared = self._keys.get(key)
        if prepared is None:
            prepared = self._keys[key] = self._prepare(key, setup)
        else:
            self._reset(prepared)
        if self.on_use is not None:
            self.on_use(prepared.db.name)
        return prepared.db

    def _prepare(self, key: str, setup: Callable[[str], None]) -> _Prepared:
        name = database_name(self.prefix, key)
        self.server.drop_database(name)
        self.server.create_database(name)
        setup(self.server.dsn(name))
        with psycopg.connect(self.server.dsn(name), autocommit=True) as conn:
            probes = [row[0] for row in conn.execute(ANY_ROWS).fetchall()]
            query = " UNION ALL ".join(probes) + " LIMIT 1"
            has_rows = bool(probes) and conn.execute(query).fetchone() is not None
            row = conn.execute(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
            ).fetchone()
        if not has_rows:
            superuser = bool(row and row[0])
            strategy = self.reset or ("delete" if superuser else "truncate")
            return _Prepared(database(self.server, name), strategy)
        template = name[:55] + "_tpl"
        self.server.drop_database(template)
        with self.server.connect() as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
            )
            admin.execute(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        self.server.create_database(name, template=template)
        return _Prepared(database(self.server, name), "clone", template)

    def _reset(self, prepared: _Prepared) -> None:
        if prepared.strategy == "clone":
            assert prepared.template is not None
            self.server.drop_database(prepared.db.name)
            self.server.create_database(prepared.db.name, template=prepared.template)
            return
        if (
            prepared.conn is None
            or prepared.generation != self.server.generation
            or prepared.conn.broken
        ):
            if prepared.conn is not None:
                prepared.conn.close()
            prepared.conn = psycopg.connect(prepared.db.dsn, autocommit=True)
            prepared.generation = self.server.generation
        if not prepared.statement:
            prepared.statement = reset_statement(prepared.conn, prepared.strategy)
        prepared.conn.execute(prepared.statement)

    def close(self) -> None:
        if self.server.owned:  # an owned server's files go with it
            self._close_connections()
            self._keys.clear()
        else:
            self._drop_all()

    def _close_connections(self) -> None:
        for prepared in self._keys.values():
            if prepared.conn is not None:
                prepared.conn.close()

    def _drop_all(self) -> None:
        self._close_connections()
        for prepared in self._keys.values():
            if self.server.is_running():
                self.server.drop_database(prepared.db.name)
                if prepared.template:
                    self.server.drop_database(prepared.template)
        self._keys.clear()


def _ensure_running(server: PostgresServer | RedisServer) -> None:
    # A test that killed its server and did not restart it must not break the next test.
    if server.owned and not server.is_running():
        server.restart()


@dataclass
class RedisDb:
    """A clean Redis database for one test."""

    url: str
    host: str
    port: int
    db: int
    server: RedisServer

    def client(self, **kwargs: Any) -> redis_client.Redis:
        return redis_client.Redis.from_url(self.url, **kwargs)


def worker_db_index() -> int:
    """This xdist worker's own database index on a shared (external) Redis: 1..15."""
    match = re.search(r"\d+", os.environ.get("PYTEST_XDIST_WORKER", ""))
    return 1 + (int(match.group()) if match else 0) % 15


@dataclass
class RedisReset:
    """Hands out a clean Redis per call."""

    server: RedisServer
    _client: redis_client.Redis | None = None
    _generation: int = -1

    @property
    def db(self) -> int:
        return 0 if self.server.owned else worker_db_index()

    def __call__(self) -> RedisDb:
        _ensure_running(self.server)
        if self._client is None or self._generation != self.server.generation:
            if self._client is not None:
                self._client.close()
            self._client = self.server.client(self.db)
            self._generation = self.server.generation
        if self.server.owned:
            pipe = self._client.pipeline(transaction=False)
            pipe.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
            pipe.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
            pipe.flushall()
            pipe.script_flush()
            pipe.execute()
        else:
            self._client.flushdb()
        return RedisDb(
            self.server.url(self.db), self.server.host, self.server.port, self.db, self.server
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
