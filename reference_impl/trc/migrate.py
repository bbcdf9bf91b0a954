"""The migration runner: each migration whole in one transaction, under an advisory lock.

A runner killed at any statement leaves the schema wholly old or wholly new
(PostgreSQL DDL is transactional), and the re-run completes it; two runners
never apply one migration twice. Each variant stops at the migration its code
is written for (``Variant.schema_head``): ``prefix`` and ``seed`` at 1, where the
seed deferred the unique keys, ``fixed`` at the newest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg

from harness.crashpoints import crashpoint
from reference_impl.trc import schema
from reference_impl.trc.errors import MigrationError
from reference_impl.trc.variants import FIXED, Variant

_LOCK_KEY = 0x54524333  # "TRC3": one runner at a time per database


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    up: Sequence[str]
    down: Sequence[str]


def load() -> list[Migration]:
    """Every migration, by version; the SQL read from ``schema`` at each call."""
    return [
        Migration(1, "base", schema.V001_UP, schema.V001_DOWN),
        Migration(2, "trace_tenant_key", schema.V002_UP, schema.V002_DOWN),
        Migration(
            3,
            "span_log_keys",
            (schema.V003_DEDUP_SPANS, schema.V003_DEDUP_LOGS, *schema.V003_KEYS),
            schema.V003_DOWN,
        ),
    ]


def applied(conn: psycopg.Connection) -> list[int]:
    _ensure_table(conn)
    return [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]


def upgrade(
    conn: psycopg.Connection, variant: Variant = FIXED, target: int | None = None
) -> list[int]:
    """Apply pending migrations up to ``target`` (default: the variant's head); return those applied."""
    _require_autocommit(conn)
    _ensure_table(conn)
    last = variant.schema_head if target is None else target
    return [m.version for m in load() if m.version <= last and _up(conn, m)]


def _up(conn: psycopg.Connection, mig: Migration) -> bool:
    where = f"trc.migrate.v{mig.version:03d}"
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        seen = conn.execute(
            "SELECT 1 FROM schema_migrations WHERE version = %s", (mig.version,)
        ).fetchone()
        if seen:
            return False
        for i, stmt in enumerate(mig.up):
            conn.execute(stmt)
            crashpoint(f"{where}.after_stmt{i + 1}")
        conn.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (mig.version, mig.name)
        )
        crashpoint(f"{where}.before_commit")
    crashpoint(f"{where}.after_commit")
    return True


def downgrade(conn: psycopg.Connection, target: int) -> list[int]:
    """Revert applied migrations above ``target``, newest first, each in one transaction."""
    _require_autocommit(conn)
    reverted = []
    for version in reversed(applied(conn)):
        if version <= target:
            break
        mig = _find(version)
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                for stmt in mig.down:
                    conn.execute(stmt)
                conn.execute("DELETE FROM schema_migrations WHERE version = %s", (version,))
        except psycopg.errors.UniqueViolation as exc:
            raise MigrationError(
                f"cannot revert migration {version:03d}_{mig.name}: the data no longer fits "
                f"the old key ({exc.diag.message_detail or exc}); nothing was changed"
            ) from None
        reverted.append(version)
    return reverted


def run_up_sql(conn: psycopg.Connection, version: int) -> None:
    """Execute one migration's up SQL again, outside the bookkeeping (the "run twice" check)."""
    mig = _find(version)
    with conn.transaction():
        for stmt in mig.up:
            conn.execute(stmt)


def head() -> int:
    return max(m.version for m in load())


def _find(version: int) -> Migration:
    by_version = {m.version: m for m in load()}
    if version not in by_version:
        raise MigrationError(f"no migration {version:03d}; known: {sorted(by_version)}")
    return by_version[version]


def _ensure_table(conn: psycopg.Connection) -> None:
    conn.execute(schema.MIGRATIONS_TABLE)


def _require_autocommit(conn: psycopg.Connection) -> None:
    if not conn.autocommit:
        raise MigrationError(
            "open the connection with autocommit=True; the runner owns its transactions"
        )
