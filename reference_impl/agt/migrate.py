"""The migration runner: each migration whole in its own transaction (AGT-8).

Fixed: a migration's statements, and the row recording its version, commit
together, under an advisory lock, so a runner killed mid-migration leaves the
schema wholly old or wholly new, and two runners never apply one twice.
Pre-fix: statements run one by one in autocommit, and the version is recorded
after them, so a kill in between leaves half a migration that a re-run trips on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg

from harness.crashpoints import crashpoint
from reference_impl.agt import schema
from reference_impl.agt.errors import MigrationError
from reference_impl.agt.variants import FIXED, Variants

_LOCK_KEY = 0x41475438  # "AGT8": one runner at a time per database


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    up: str
    down: str
    prefix_up: str | None = None  # pre-fix text, where the fix changed the SQL itself

    def up_sql(self, variants: Variants) -> str:
        if self.prefix_up is not None and variants.prefix("AGT-8"):
            return self.prefix_up
        return self.up


def load() -> list[Migration]:
    """Every migration, by version. Built at each call, from the module's names: a mutated
    constant of ``schema`` is read per access (``harness mutate``), not bound at import."""
    return [
        Migration(1, "base", schema.V001_BASE_UP, schema.V001_BASE_DOWN),
        Migration(
            2,
            "retry_count",
            schema.V002_RETRY_COUNT_UP,
            schema.V002_RETRY_COUNT_DOWN,
            schema.V002_RETRY_COUNT_PREFIX_UP,
        ),
    ]


def statements(sql: str) -> list[str]:
    """Split on ``;`` at line end; our migrations hold no function bodies."""
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*$", body, flags=re.M) if s.strip()]


def ensure_table(conn: psycopg.Connection) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY, name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )


def applied(conn: psycopg.Connection) -> list[int]:
    ensure_table(conn)
    return [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]


def upgrade(
    conn: psycopg.Connection, variants: Variants = FIXED, target: int | None = None
) -> list[int]:
    """Apply pending migrations up to ``target`` (default: all); return the versions applied."""
    _require_autocommit(conn)
    ensure_table(conn)
    done = []
    for mig in load():
        if target is not None and mig.version > target:
            break
        if variants.prefix("AGT-8"):
            ran = _up_prefix(conn, mig, variants)
        else:
            ran = _up_fixed(conn, mig, variants)
        if ran:
            done.append(mig.version)
    return done


def _up_fixed(conn: psycopg.Connection, mig: Migration, variants: Variants) -> bool:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        if _recorded(conn, mig):
            return False
        _run_up_statements(conn, mig, variants)
        conn.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (mig.version, mig.name)
        )
        crashpoint(f"agt.migrate.v{mig.version:03d}.before_commit")
    crashpoint(f"agt.migrate.v{mig.version:03d}.after_commit")
    return True


def _up_prefix(conn: psycopg.Connection, mig: Migration, variants: Variants) -> bool:
    if _recorded(conn, mig):
        return False
    _run_up_statements(conn, mig, variants)  # autocommit: each statement lands on its own
    crashpoint(f"agt.migrate.v{mig.version:03d}.before_commit")
    conn.execute(
        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (mig.version, mig.name)
    )
    crashpoint(f"agt.migrate.v{mig.version:03d}.after_commit")
    return True


def _recorded(conn: psycopg.Connection, mig: Migration) -> bool:
    """``mig`` is in the bookkeeping table: applied before."""
    row = conn.execute("SELECT 1 FROM schema_migrations WHERE version = %s", (mig.version,))
    return row.fetchone() is not None


def _run_up_statements(conn: psycopg.Connection, mig: Migration, variants: Variants) -> None:
    """``mig``'s up SQL, one statement at a time, a crash point after each."""
    for i, stmt in enumerate(statements(mig.up_sql(variants))):
        conn.execute(stmt)
        crashpoint(f"agt.migrate.v{mig.version:03d}.after_stmt{i + 1}")


def run_up_sql(conn: psycopg.Connection, version: int, variants: Variants = FIXED) -> None:
    """Execute one migration's up SQL again, outside the bookkeeping (AGT-8's "run twice")."""
    mig = _find(version)
    with conn.transaction():
        for stmt in statements(mig.up_sql(variants)):
            conn.execute(stmt)


def downgrade(conn: psycopg.Connection, target: int) -> list[int]:
    """Revert applied migrations above ``target``, newest first, each in one transaction."""
    _require_autocommit(conn)
    reverted = []
    for version in reversed(applied(conn)):
        if version <= target:
            break
        if _down(conn, _find(version)):
            reverted.append(version)
    return reverted


def _down(conn: psycopg.Connection, mig: Migration) -> bool:
    """Revert ``mig`` in one transaction; False if another runner reverted it while this
    one waited for the lock (read before the lock, the version list may be stale)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        if not _recorded(conn, mig):
            return False
        for i, stmt in enumerate(statements(mig.down)):
            conn.execute(stmt)
            crashpoint(f"agt.migrate.v{mig.version:03d}.down_after_stmt{i + 1}")
        conn.execute("DELETE FROM schema_migrations WHERE version = %s", (mig.version,))
    return True


def head() -> int:
    return load()[-1].version


def _find(version: int) -> Migration:
    for mig in load():
        if mig.version == version:
            return mig
    raise MigrationError(f"no migration {version:03d}; known: {[m.version for m in load()]}")


def _require_autocommit(conn: psycopg.Connection) -> None:
    if not conn.autocommit:
        raise MigrationError(
            "open the connection with autocommit=True; the runner owns its transactions"
        )
