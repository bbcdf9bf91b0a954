"""The migration runner: each migration whole in one transaction, under an advisory lock.

A runner killed at any statement leaves the schema wholly old or wholly new
(PostgreSQL DDL is transactional), and the re-run completes it; two runners
never apply one migration twice. Each variant stops at the migration its code
is written for (``Variant.schema_head``): ``prefix`` and ``seed`` at 1, where the
seed deferred the unique keys, ``fixed`` at the newest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import psycopg

from harness.crashpoints import crashpoint
from reference_impl.trc.errors import MigrationError
from reference_impl.trc.variants import FIXED, Variant

_LOCK_KEY = 0x54524333  # "TRC3": one runner at a time per database
_NAME = re.compile(r"^(\d{3})_(\w+?)\.(up|down)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    up: str
    down: str


def load() -> list[Migration]:
    """Every migration shipped in ``reference_impl/trc/migrations``, by version."""
    files: dict[tuple[int, str], dict[str, str]] = {}
    for entry in resources.files("reference_impl.trc.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            version, name, direction = match.groups()
            files.setdefault((int(version), name), {})[direction] = entry.read_text()
    out = []
    for (version, name), texts in sorted(files.items()):
        if "up" not in texts or "down" not in texts:
            raise MigrationError(f"migration {version:03d}_{name} needs both .up.sql and .down.sql")
        out.append(Migration(version, name, texts["up"], texts["down"]))
    return out


def statements(sql: str) -> list[str]:
    """Split on ``;`` at line end; our migrations hold no function bodies."""
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*$", body, flags=re.M) if s.strip()]


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
        for i, stmt in enumerate(statements(mig.up)):
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
                for stmt in statements(mig.down):
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
        for stmt in statements(mig.up):
            conn.execute(stmt)


def head() -> int:
    return load()[-1].version


def _find(version: int) -> Migration:
    for mig in load():
        if mig.version == version:
            return mig
    raise MigrationError(f"no migration {version:03d}; known: {[m.version for m in load()]}")


def _ensure_table(conn: psycopg.Connection) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY, name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )


def _require_autocommit(conn: psycopg.Connection) -> None:
    if not conn.autocommit:
        raise MigrationError(
            "open the connection with autocommit=True; the runner owns its transactions"
        )
