"""Databases for AGT scenarios and tests: a migrated template, state snapshots, deployments.

The state snapshot is the evidence a verdict carries: the rows, as JSON.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg

from reference_impl.agt import Deployment, ManualClock, Variants, migrate, tokens
from reference_impl.agt.ops.issue import enqueue_command, issue_registration_token
from reference_impl.agt.ops.register import register

# A per-deployment key; fixed so a replay signs the same way (it protects nothing real).
SIGNING_KEY = bytes(range(32))
T0 = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
TEMPLATE_KEY = "agt-head"


def migrate_to_head(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        migrate.upgrade(conn)


def fresh(factory: Any) -> Any:
    """A clean database at the newest schema (cloned from a template, fast)."""
    return fresh_from(factory, TEMPLATE_KEY, migrate_to_head)


def fresh_from(factory: Any, key: str, setup: Callable[[str], None]) -> Any:
    """``factory(key, setup)``, after closing this process's kept connections: the factory
    re-clones by ``DROP DATABASE ... WITH (FORCE)``, which would end them under our feet
    (and, on first use of ``key``, ends the sessions ``setup`` left before the rename)."""
    release()
    db = factory(key, setup)
    release()
    return db


def deployment(fix_id: str, variant: str, now: datetime = T0) -> Deployment:
    """``fix_id`` in ``variant``, all else fixed, time frozen at ``now`` unless advanced."""
    return Deployment(SIGNING_KEY, clock=ManualClock(now), variants=Variants.only(fix_id, variant))


#: The parent's connections, one per (process, DSN), kept for the whole test. A scenario
#: snapshots, resets and seeds its database hundreds of times; a new connection each
#: time (a backend fork, ~4-9 ms on 2 loaded cores) was a fifth of the AGT run. They are
#: autocommit and idle between uses, so they hold no lock a case could wait on. Keyed by
#: pid and thread: a child forked from this process (``HARNESS_SPAWN=fork``) or a test's
#: concurrent threads never share one.
_kept: dict[tuple[int, int, str], psycopg.Connection] = {}


@contextlib.contextmanager
def connect(dsn: str) -> Iterator[psycopg.Connection]:
    """This process's kept autocommit connection to ``dsn`` (opened on first use).

    A connection that broke (its server ended it) is dropped, and the next use opens
    another. ``release()`` closes them all (test teardown, before a re-clone)."""
    key = (os.getpid(), threading.get_ident(), str(dsn))
    conn = _kept.get(key)
    if conn is None or conn.closed or conn.broken:
        # prepare_threshold=None: no server-side prepared plans, which a migration scenario's
        # ALTER TABLE between two snapshots could otherwise invalidate. lock_timeout: a
        # recovery step run here (``child_ops.here``) has no child timeout to end a wait
        # that never ends; as long as the harness's child timeout, so it fails, never hangs.
        conn = psycopg.connect(
            str(dsn),
            autocommit=True,
            connect_timeout=3,
            prepare_threshold=None,
            options="-c lock_timeout=30s",
        )
        _kept[key] = conn
    try:
        yield conn
    finally:
        if conn.closed or conn.broken:
            _kept.pop(key, None)


def release() -> None:
    """Close every kept connection of this process."""
    pid = os.getpid()
    for key in [k for k in _kept if k[0] == pid]:
        _kept.pop(key).close()


def registered_agent(dsn: str, dep: Deployment, hostname: str = "agent-0") -> tuple[str, str]:
    """Register an agent the fixed way; return (agent id, refresh token)."""
    with connect(dsn) as conn:
        reg_token = issue_registration_token(conn, dep)
        fixed = Deployment(dep.signing_key, clock=dep.clock)
        reg = register(conn, fixed, reg_token, hostname, tokens.new_token("agent_secret"))
    return reg.agent_id, reg.refresh_token


def with_token(dsn: str, fix_id: str, *secrets: str) -> dict[str, str]:
    """An empty AGT database but for one registration token: the facts ``token`` and a
    fresh agent secret under each name of ``secrets``."""
    from scenarios.agt import fixtures_sql

    fixtures_sql.reset(dsn)
    with connect(dsn) as conn:
        token = issue_registration_token(conn, deployment(fix_id, "fixed"))
    return {"token": token, **{name: tokens.new_token("agent_secret") for name in secrets}}


def enqueue(
    dsn: str, dep: Deployment, agent_id: str, count: int, ttl_s: float | None = None
) -> list[int]:
    with connect(dsn) as conn:
        return [
            enqueue_command(conn, dep, agent_id, f"cmd-{i}", {"n": i}, ttl_s) for i in range(count)
        ]


def _rows(conn: psycopg.Connection, sql: str) -> list[dict[str, Any]]:
    cur = conn.execute(sql)
    names = [d.name for d in cur.description or []]
    return [{k: _json(v) for k, v in zip(names, row, strict=True)} for row in cur.fetchall()]


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()[:12]
    if hasattr(value, "hex") and not isinstance(value, int | float | str):
        return str(value)
    return value


def snapshot(dsn: str) -> dict[str, list[dict[str, Any]]]:
    """Every row that matters to an AGT invariant, in a stable order."""
    with connect(dsn) as conn:
        return {
            "agents": _rows(
                conn, "SELECT id, hostname, last_seen_at FROM agents ORDER BY created_at, id"
            ),
            "registration_tokens": _rows(
                conn,
                "SELECT id, used_at, used_by_agent, token_hash FROM registration_tokens ORDER BY id",
            ),
            "refresh_tokens": _rows(
                conn,
                "SELECT id, agent_id, expires_at, revoked_at FROM refresh_tokens ORDER BY id",
            ),
            "commands": _rows(
                conn,
                "SELECT id, agent_id, status, sent_at, expires_at, retry_count FROM commands ORDER BY id",
            ),
        }


def schema_of(dsn: str) -> dict[str, Any]:
    """Columns and indexes of the AGT tables: what "wholly old or wholly new" compares."""
    with connect(dsn) as conn:
        cols = conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default"
            " FROM information_schema.columns WHERE table_schema = 'public'"
            " AND table_name <> 'schema_migrations' ORDER BY table_name, column_name"
        ).fetchall()
        idx = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
            " AND tablename <> 'schema_migrations' ORDER BY indexname"
        ).fetchall()
        versions: list[int] = []
        exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
        if exists and exists[0]:
            versions = [
                r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")
            ]
    return {
        "columns": [list(map(str, c)) for c in cols],
        "indexes": [list(i) for i in idx],
        "versions": versions,
    }
